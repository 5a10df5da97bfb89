import { create } from 'zustand';

export type Theme = 'dark' | 'light';

const initial = (): Theme => {
  const saved = typeof localStorage !== 'undefined' ? localStorage.getItem('apex-theme') : null;
  if (saved === 'dark' || saved === 'light') return saved;
  return typeof matchMedia === 'function' && matchMedia('(prefers-color-scheme: light)').matches ? 'light' : 'dark';
};

export const useTheme = create<{ theme: Theme; toggle: () => void }>((set, get) => ({
  theme: initial(),
  toggle: () => {
    const theme = get().theme === 'dark' ? 'light' : 'dark';
    localStorage.setItem('apex-theme', theme);
    set({ theme });
  },
}));
