#!/usr/bin/env python3
"""Writes tasks.jsonl and answers.jsonl: the HAND-AUTHORED cascade replay fixtures (see README.md).

The answers below were written by hand to look like what gpt-4o-mini, claude-3-5-haiku-latest and gpt-4o
answer, including the small models' usual failures. No model was called. Token counts are estimated
(about 4 characters per token). `correct` is the author's judgement; `dotnet run --project bench/Apex.Bench -c Release
-- cascade` re-checks every one against the task's reference rule and reports any disagreement.
"""
import json, math, os, re

MINI, HAIKU, TOP = "gpt-4o-mini", "claude-3-5-haiku-latest", "gpt-4o"
SYSTEM = {
    "factual": "Answer the question concisely.",
    "extraction": "Extract the requested fields. Reply with JSON only, matching the schema.",
    "summarisation": "You write faithful, concise summaries.",
    "arithmetic": "Solve the problem. Show brief working, then give the final answer on the last line as 'Answer: <number>'.",
    "classification": "Classify the text. Reply with the label only.",
}

tasks, answers = [], []

def task(id, kind, instruction, reference, schema=None, **by_model):
    tasks.append({"id": id, "kind": kind, "system": SYSTEM[kind], "instruction": instruction,
                  "schema": schema, "reference": reference})
    for model in (MINI, HAIKU, TOP):
        text, correct, *note = by_model[{"gpt-4o-mini": "mini", "claude-3-5-haiku-latest": "haiku", "gpt-4o": "top"}[model]]
        answers.append({"task": id, "model": model, "answer": text,
                        "input_tokens": tokens(SYSTEM[kind] + "\n" + instruction) + 9,
                        "output_tokens": max(1, tokens(text)),
                        "correct": correct, "judged_by": describe(reference),
                        "failure": note[0] if note else None})

def tokens(text): return math.ceil(len(text) / 4)

def describe(r):
    m = r["method"]
    if m == "regex": return f"regex /{r['pattern']}/i on the answer"
    if m == "label": return f"label: the answer, trimmed, lower-cased, without a final period, equals '{r['label']}'"
    if m == "number": return f"number: the last number in the answer equals {r['value']} (±{r.get('tolerance', 0.005)})"
    if m == "json": return "json: parses (```json fence tolerated), validates against the schema, and the listed fields equal the reference"
    if m == "keywords": return f"keywords: every pattern of {r['all']} matches and the answer has at most {r['max_words']} words"

def ok(text, note=None): return (text, True) if note is None else (text, True, note)
def bad(text, note): return (text, False, note)
def schema(props, required=None, extra=False):
    return {"type": "object", "properties": props, "required": required or list(props), "additionalProperties": extra}

S, N, I, B = {"type": "string"}, {"type": "number"}, {"type": "integer"}, {"type": "boolean"}
DATE = {"type": "string", "pattern": r"^\d{4}-\d{2}-\d{2}$"}
DATETIME = {"type": "string", "pattern": r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}"}
def rx(p): return {"method": "regex", "pattern": p}
def num(v, tol=0.005): return {"method": "number", "value": v, "tolerance": tol}
def label(l): return {"method": "label", "label": l}
def js(expect): return {"method": "json", "expect": expect}
def kw(*all, max_words=45): return {"method": "keywords", "all": list(all), "max_words": max_words}

# ---- factual -------------------------------------------------------------------------------------------------
task("fact-01", "factual", "What is the capital of Australia?", rx(r"\bcanberra\b"),
     mini=ok("Canberra."), haiku=ok("Canberra"), top=ok("The capital of Australia is Canberra."))
task("fact-02", "factual", "What is the chemical symbol for tungsten?", rx(r"(^|\s|\()W(\b|$)"),
     mini=ok("W"), haiku=ok("W (from its German name, Wolfram)"), top=ok("W"))
task("fact-03", "factual", "Who wrote the novel \"The Master and Margarita\"?", rx(r"bulgakov"),
     mini=ok("Mikhail Bulgakov"), haiku=ok("Mikhail Bulgakov wrote it; it was published posthumously in 1966-67."),
     top=ok("Mikhail Bulgakov."))
task("fact-04", "factual", "In what year did the Berlin Wall fall?", rx(r"\b1989\b"),
     mini=ok("1989"), haiku=ok("The Berlin Wall fell in 1989 (on 9 November)."), top=ok("1989"))
task("fact-05", "factual", "What is the largest moon of Saturn?", rx(r"\btitan\b"),
     mini=ok("Titan"), haiku=ok("Titan"), top=ok("Titan is Saturn's largest moon."))
task("fact-06", "factual", "Who painted \"The Garden of Earthly Delights\"?", rx(r"\bbosch\b"),
     mini=bad("I'm not sure, but I believe it was Pieter Bruegel the Elder.", "hedge, and wrong"),
     haiku=ok("Hieronymus Bosch, around 1490-1510."), top=ok("Hieronymus Bosch."))
task("fact-07", "factual", "What is the SI unit of magnetic flux?", rx(r"\bweber\b|\bWb\b"),
     mini=bad("The tesla (T).", "wrong: tesla is flux density"), haiku=ok("The weber (Wb)."), top=ok("The weber (Wb)."))
task("fact-08", "factual", "In which city is the International Criminal Court based?", rx(r"\bthe hague\b|den haag"),
     mini=ok("The Hague, Netherlands."), haiku=ok("The Hague"), top=ok("The Hague, in the Netherlands."))
task("fact-09", "factual", "What is the smallest prime number greater than 100?", rx(r"\b101\b"),
     mini=ok("101"), haiku=ok("101"), top=ok("101"))
task("fact-10", "factual", "Which element has atomic number 26?", rx(r"\biron\b|\bFe\b"),
     mini=ok("Iron (Fe)."), haiku=ok("Iron (Fe)"), top=ok("Iron (Fe)."))

# ---- extraction to JSON --------------------------------------------------------------------------------------
inv = schema({"vendor": S, "invoice_number": S, "total": N, "currency": S, "due_date": DATE})
inv_ok = {"vendor": "Northwind Traders", "invoice_number": "INV-20931", "total": 1284.5, "currency": "EUR", "due_date": "2026-12-15"}
task("extract-01", "extraction",
     "Extract vendor, invoice_number, total, currency and due_date (YYYY-MM-DD) from:\n\"Northwind Traders - Invoice INV-20931. "
     "Amount due: EUR 1,284.50, payable by 15 December 2026. Thank you for your business.\"",
     js(inv_ok), inv,
     mini=bad("Here is the extracted JSON:\n" + json.dumps(inv_ok), "prose before the JSON"),
     haiku=ok("```json\n" + json.dumps(inv_ok, indent=2) + "\n```"), top=ok(json.dumps(inv_ok)))
contact = schema({"name": S, "email": S, "phone": S, "product": S})
contact_ok = {"name": "Priya Raman", "email": "priya.raman@example.com", "phone": "+44 20 7946 0321", "product": "Aurora X2 router"}
task("extract-02", "extraction",
     "Extract name, email, phone and product from this support ticket:\n\"Hi, Priya Raman here. My Aurora X2 router drops Wi-Fi "
     "every evening. Reach me at priya.raman@example.com or +44 20 7946 0321.\"",
     js(contact_ok), contact,
     mini=bad("I'm sorry, but I can't share or extract personal contact information such as email addresses or phone numbers.",
              "over-refusal (PII)"),
     haiku=ok(json.dumps(contact_ok)), top=ok(json.dumps(contact_ok)))
meeting = schema({"title": S, "date": DATE, "attendees": {"type": "array", "items": S}, "location": S})
meeting_ok = {"title": "Q4 roadmap review", "date": "2026-11-30", "attendees": ["Dana", "Luis", "Mei"], "location": "Room 4B"}
task("extract-03", "extraction",
     "Extract title, date (YYYY-MM-DD), attendees and location:\n\"Q4 roadmap review on Monday 30 November 2026 in Room 4B. "
     "Dana, Luis and Mei will attend.\"",
     js(meeting_ok), meeting,
     mini=ok(json.dumps(meeting_ok)), haiku=ok(json.dumps(meeting_ok)), top=ok(json.dumps(meeting_ok)))
job = schema({"title": S, "company": S, "location": S, "remote": B, "salary_min": N, "salary_max": N})
job_ok = {"title": "Senior Data Engineer", "company": "Helio Labs", "location": "Lisbon", "remote": True, "salary_min": 70000, "salary_max": 90000}
task("extract-04", "extraction",
     "Extract title, company, location, remote, salary_min and salary_max:\n\"Helio Labs is hiring a Senior Data Engineer in Lisbon "
     "(remote-friendly). Salary EUR 70k-90k.\"",
     js(job_ok), job,
     mini=ok(json.dumps(job_ok)), haiku=ok(json.dumps(job_ok)), top=ok(json.dumps(job_ok)))
recipe = schema({"dish": S, "servings": I, "ingredients": {"type": "array", "items": schema({"item": S, "quantity": S})}})
recipe_ok = {"dish": "Shakshuka", "servings": 4, "ingredients": [
    {"item": "eggs", "quantity": "6"}, {"item": "chopped tomatoes", "quantity": "800 g"},
    {"item": "red pepper", "quantity": "1"}, {"item": "onion", "quantity": "1"}, {"item": "cumin", "quantity": "1 tsp"}]}
task("extract-05", "extraction",
     "Extract dish, servings and ingredients (item, quantity):\n\"Shakshuka for 4: 6 eggs, 800 g chopped tomatoes, 1 red pepper, "
     "1 onion, 1 tsp cumin.\"",
     js({"dish": "Shakshuka", "servings": 4}), recipe,
     mini=bad(json.dumps(recipe_ok)[:148], "truncated JSON"),
     haiku=ok(json.dumps(recipe_ok)), top=ok(json.dumps(recipe_ok)))
flight = schema({"passenger": S, "flight_number": S, "from": S, "to": S, "departure": DATETIME})
flight_ok = {"passenger": "Tomasz Nowak", "flight_number": "LO 281", "from": "WAW", "to": "ORD", "departure": "2026-12-03T14:35"}
task("extract-06", "extraction",
     "Extract passenger, flight_number, from, to (IATA codes) and departure (ISO 8601 local time):\n\"Passenger NOWAK/TOMASZ, "
     "flight LO 281 Warsaw (WAW) to Chicago (ORD), departs 03DEC26 at 14:35.\"",
     js({"flight_number": "LO 281", "from": "WAW", "to": "ORD", "departure": "2026-12-03T14:35"}), flight,
     mini=ok(json.dumps(flight_ok)),
     haiku=bad(json.dumps({**flight_ok, "departure": "14:35"}), "schema: departure without the date"),
     top=ok(json.dumps(flight_ok)))
review = schema({"product": S, "rating": {"type": "integer", "minimum": 1, "maximum": 5},
                 "sentiment": {"enum": ["positive", "negative", "mixed"]},
                 "pros": {"type": "array", "items": S}, "cons": {"type": "array", "items": S}})
review_ok = {"product": "Lumen desk lamp", "rating": 4, "sentiment": "mixed", "pros": ["bright", "sturdy base"], "cons": ["loud fan"]}
task("extract-07", "extraction",
     "Extract product, rating (1-5), sentiment (positive/negative/mixed), pros and cons:\n\"Lumen desk lamp - 4 stars. Very bright "
     "and the base is sturdy, but the cooling fan is loud.\"",
     js({"rating": 4, "sentiment": "mixed"}), review,
     mini=bad(json.dumps({**review_ok, "rating": "4"}), "schema: rating as a string"),
     haiku=ok(json.dumps(review_ok)), top=ok(json.dumps(review_ok)))
addr = schema({"street": S, "city": S, "postal_code": S, "country": S})
addr_ok = {"street": "Keizersgracht 123", "city": "Amsterdam", "postal_code": "1015 CJ", "country": "Netherlands"}
task("extract-08", "extraction", "Split this address into street, city, postal_code and country:\n\"Keizersgracht 123, 1015 CJ Amsterdam, Netherlands\"",
     js(addr_ok), addr,
     mini=ok(json.dumps(addr_ok)), haiku=ok(json.dumps(addr_ok)), top=ok(json.dumps(addr_ok)))
order = schema({"items": {"type": "array", "items": schema({"sku": S, "qty": I, "unit_price": N})}, "total": N})
order_items = [{"sku": "AB-100", "qty": 3, "unit_price": 12.5}, {"sku": "CD-220", "qty": 2, "unit_price": 7.25}, {"sku": "EF-031", "qty": 1, "unit_price": 49.0}]
task("extract-09", "extraction",
     "Extract items (sku, qty, unit_price) and the order total:\n\"3 x AB-100 @ 12.50; 2 x CD-220 @ 7.25; 1 x EF-031 @ 49.00.\"",
     js({"total": 101.0}), order,
     mini=bad(json.dumps({"items": order_items, "total": 68.75}), "wrong total (valid JSON)"),
     haiku=bad("```json\n" + json.dumps({"items": order_items, "total": 101.0}, indent=2).replace('"total"', '// computed\n  "total"') + "\n```",
               "comment inside the JSON"),
     top=ok(json.dumps({"items": order_items, "total": 101.0})))
event = schema({"name": S, "start_date": DATE, "end_date": DATE, "venue": S, "ticket_price": N})
event_ok = {"name": "NorthSec Summit", "start_date": "2027-03-09", "end_date": "2027-03-11", "venue": "Palais des congres, Montreal", "ticket_price": 395}
task("extract-10", "extraction",
     "Extract name, start_date, end_date (YYYY-MM-DD), venue and ticket_price:\n\"NorthSec Summit, 9-11 March 2027, Palais des "
     "congres, Montreal. Tickets CAD 395.\"",
     js({"start_date": "2027-03-09", "end_date": "2027-03-11", "ticket_price": 395}), event,
     mini=ok("```json\n" + json.dumps(event_ok, indent=2) + "\n```"), haiku=ok(json.dumps(event_ok)), top=ok(json.dumps(event_ok)))

# ---- summarisation -------------------------------------------------------------------------------------------
def summ(id, passage, reference, mini, haiku, top):
    task(id, "summarisation", f"Summarise in at most 40 words:\n\"{passage}\"", reference, mini=mini, haiku=haiku, top=top)

summ("summary-01",
     "The city council voted 7-2 on Tuesday to convert the Elm Street parking garage into 120 units of affordable housing. "
     "Construction starts in spring and is funded by a state grant of $18 million; opponents cited the loss of 400 parking spaces.",
     kw(r"\b(council|city)\b", r"garage", r"(affordable )?housing|homes|units", r"grant|\$18"),
     ok("The council voted 7-2 to turn the Elm Street garage into 120 affordable housing units, funded by an $18M state grant; "
        "building starts in spring despite objections over lost parking."),
     ok("City council approved (7-2) converting the Elm Street garage into 120 affordable homes, paid for by an $18 million state "
        "grant. Work begins in spring; critics object to losing 400 parking spaces."),
     ok("By 7-2, the council approved converting the Elm Street garage into 120 affordable housing units, funded by an $18M state "
        "grant. Construction begins in spring; opponents lament 400 lost parking spaces."))
summ("summary-02",
     "Researchers at the university found that adding a 20-minute walk after lunch lowered participants' afternoon blood glucose "
     "peaks by 17% compared with sitting. The trial followed 64 adults with prediabetes for 12 weeks.",
     kw(r"walk", r"glucose|blood sugar", r"17", r"prediabet"),
     ok("A 12-week trial of 64 adults with prediabetes found a 20-minute post-lunch walk cut afternoon blood glucose peaks by 17% versus sitting."),
     ok("Walking 20 minutes after lunch lowered afternoon glucose peaks by 17% compared with sitting, in a 12-week study of 64 adults with prediabetes."),
     ok("In a 12-week trial with 64 prediabetic adults, a 20-minute walk after lunch reduced afternoon blood glucose peaks by 17% compared with sitting."))
summ("summary-03",
     "Acme Corp reported third-quarter revenue of $2.1 billion, up 9% year on year, but cut its full-year profit forecast because "
     "of higher shipping costs. Shares fell 6% in after-hours trading.",
     kw(r"revenue|sales", r"9\s?%", r"forecast|outlook|guidance", r"shipping", max_words=40),
     bad("Acme Corp had a strong third quarter, with revenue reaching $2.1 billion, which represents a 9% increase compared with "
         "the same period last year. Investors reacted to the company's announcement, and the share price fell by 6% in "
         "after-hours trading following the release.", "too long and drops the forecast cut"),
     ok("Acme's Q3 revenue rose 9% to $2.1 billion, but it lowered its full-year profit forecast due to higher shipping costs; "
        "shares dropped 6% after hours."),
     ok("Acme Corp's Q3 revenue grew 9% to $2.1B, yet it cut its full-year profit forecast on higher shipping costs, sending shares down 6% after hours."))
summ("summary-04",
     "The library will close its main branch for renovation from 1 February to 30 June. Branch services move to the community "
     "centre on Oak Avenue, and the returns box stays open. Online lending is unaffected.",
     kw(r"close|closed|closing", r"renovat", r"community centre|oak avenue", r"online"),
     ok("The main library branch closes for renovation from 1 February to 30 June; services move to the Oak Avenue community "
        "centre, the returns box stays open and online lending continues."),
     ok("Main branch closed for renovation 1 Feb-30 Jun. Services relocate to the Oak Avenue community centre; returns box open; online lending unaffected."),
     ok("The main branch closes for renovation from 1 February to 30 June; services move to the community centre on Oak Avenue, returns stay open, and online lending is unaffected."))
summ("summary-05",
     "A software update released on Monday fixes a bug that drained phone batteries overnight on some models. The company says "
     "affected users should install version 4.2.1 and restart; devices that already lost battery health will not recover it.",
     kw(r"update|4\.2\.1", r"batter", r"restart|install", r"(not|won't|no) recover|will not recover|cannot recover|permanent"),
     ok("Update 4.2.1 fixes an overnight battery-drain bug; users should install it and restart, though lost battery health won't recover."),
     bad("Monday's update 4.2.1 fixes a bug that drained batteries overnight on some phones. Affected users should install it and restart.",
         "drops that battery health will not recover"),
     ok("Monday's update (4.2.1) fixes an overnight battery-drain bug on some phones. Install and restart; battery health already lost will not recover."))
summ("summary-06",
     "Two independent audits disagree on whether the bridge needs replacement. The first recommends a full rebuild within five "
     "years; the second says targeted repairs would extend its life by 25 years at a third of the cost. The council will decide in March.",
     kw(r"audit", r"rebuild|replace", r"repair", r"march"),
     bad("It depends on which audit you trust: one says the bridge should be rebuilt, the other says repairs are enough.",
         "hedge, drops the March decision"),
     ok("Two audits disagree: one urges rebuilding the bridge within five years, the other says targeted repairs would add 25 years at a third of the cost. The council decides in March."),
     ok("Audits conflict: one recommends rebuilding the bridge within five years; the other says repairs costing a third as much would extend its life 25 years. A council decision is due in March."))
summ("summary-07",
     "The museum's new exhibition brings together 80 works by Hilma af Klint, including ten paintings never shown outside Sweden. "
     "It runs until 14 April and timed tickets are required at weekends.",
     kw(r"af klint", r"exhibition|show", r"80|eighty", r"14 april|april 14|tickets"),
     ok("A new museum exhibition shows 80 Hilma af Klint works, ten never before seen outside Sweden, until 14 April; weekend visits need timed tickets."),
     ok("The museum's Hilma af Klint exhibition gathers 80 works, ten never shown outside Sweden. Runs to 14 April; timed tickets needed at weekends."),
     ok("Exhibition of 80 Hilma af Klint works, ten never exhibited outside Sweden, runs until 14 April; timed tickets are required on weekends."))
summ("summary-08",
     "Starting next month, the company will let employees work remotely three days a week, up from two. Teams must still meet in "
     "person every Wednesday, and managers can approve exceptions for roles that need on-site equipment.",
     kw(r"remote|from home", r"three|3", r"wednesday", r"exception|manager"),
     ok("From next month employees may work remotely three days a week instead of two; teams meet in person on Wednesdays and managers can grant exceptions for on-site roles."),
     ok("Remote work rises from two to three days a week next month. In-person team days stay on Wednesdays; managers may approve exceptions for equipment-bound roles."),
     ok("Next month remote work expands to three days a week (from two). Teams still meet in person each Wednesday; managers can approve exceptions for roles needing on-site equipment."))

# ---- arithmetic word problems --------------------------------------------------------------------------------
def arith(id, problem, value, mini, haiku, top, tol=0.005):
    task(id, "arithmetic", problem, num(value, tol), mini=mini, haiku=haiku, top=top)

arith("math-01", "Notebooks cost $2.40 each and pens $1.15 each. How much do 3 notebooks and 2 pens cost in dollars?", 9.50,
      ok("3 x 2.40 = 7.20; 2 x 1.15 = 2.30; 7.20 + 2.30 = 9.50\nAnswer: 9.50"),
      ok("Notebooks: 3 x $2.40 = $7.20\nPens: 2 x $1.15 = $2.30\nAnswer: 9.50"),
      ok("3 x 2.40 = 7.20, 2 x 1.15 = 2.30, total 9.50.\nAnswer: 9.50"))
arith("math-02", "A train covers 180 km at a constant 72 km/h. How many hours does the trip take?", 2.5,
      ok("180 / 72 = 2.5\nAnswer: 2.5"), ok("Time = 180 / 72 = 2.5 hours.\nAnswer: 2.5"), ok("t = 180 / 72 = 2.5 h\nAnswer: 2.5"))
arith("math-03", "A $240 jacket is discounted by 15%, then 8% sales tax is added to the discounted price. What is the final price in dollars?", 220.32,
      bad("Net change = -15% + 8% = -7%. 240 x 0.93 = 223.20\nAnswer: 223.20", "wrong: adds percentages"),
      ok("240 x 0.85 = 204.00; 204.00 x 1.08 = 220.32\nAnswer: 220.32"),
      ok("Discounted: 240 x 0.85 = 204. With tax: 204 x 1.08 = 220.32.\nAnswer: 220.32"))
arith("math-04", "A warehouse holds 1,250 boxes. It ships 18% of them on Monday and 240 more on Tuesday. How many boxes are left?", 785,
      ok("18% of 1,250 = 225. 1,250 - 225 - 240 = 785\nAnswer: 785"),
      ok("Monday: 0.18 x 1250 = 225. Remaining after Tuesday: 1250 - 225 - 240 = 785.\nAnswer: 785"),
      ok("1250 - 225 - 240 = 785\nAnswer: 785"))
arith("math-05", "A recipe uses 3 eggs per 12 cookies. Eggs cannot be split. How many eggs are needed to bake 50 cookies?", 13,
      bad("50 / 12 = 4.17 batches; 4 x 3 = 12\nAnswer: 12", "wrong: rounds down"),
      bad("3/12 = 0.25 eggs per cookie; 50 x 0.25 = 12.5\nAnswer: 12.5", "wrong: ignores whole eggs"),
      ok("0.25 egg per cookie x 50 = 12.5, and eggs cannot be split, so round up to 13.\nAnswer: 13"))
arith("math-06", "$5,000 is invested at 4% interest compounded annually. What is the balance after 3 years, in dollars, to the cent?", 5624.32,
      bad("Interest = 5000 x 0.04 x 3 = 600. Balance = 5600\nAnswer: 5600.00", "wrong: simple interest"),
      ok("5000 x 1.04^3 = 5000 x 1.124864 = 5624.32\nAnswer: 5624.32"),
      ok("Balance = 5000 x (1.04)^3 = 5624.32\nAnswer: 5624.32"))
arith("math-07", "One painter paints a fence in 6 hours, another in 3 hours. Working together, how many hours do they take?", 2,
      bad("Average time = (6 + 3) / 2 = 4.5 hours\nAnswer: 4.5", "wrong: averages the times"),
      ok("Rates: 1/6 + 1/3 = 1/2 fence per hour, so 2 hours.\nAnswer: 2"),
      ok("Combined rate = 1/6 + 1/3 = 1/2 per hour, time = 2 hours.\nAnswer: 2"))
arith("math-08", "A student scored 84, 91, 77 and 88 on four tests. What is the average score?", 85,
      ok("(84 + 91 + 77 + 88) / 4 = 340 / 4 = 85\nAnswer: 85"), ok("Sum 340, divided by 4 = 85.\nAnswer: 85"), ok("340 / 4 = 85\nAnswer: 85"))
arith("math-09", "Apples cost $3.20 per kg and pears $4.50 per kg. How much do 2.5 kg of apples and 1.2 kg of pears cost in dollars?", 13.40,
      ok("2.5 x 3.20 = 8.00; 1.2 x 4.50 = 5.40; total 13.40\nAnswer: 13.40"),
      ok("Apples $8.00 + pears $5.40 = $13.40\nAnswer: 13.40"),
      ok("8.00 + 5.40 = 13.40\nAnswer: 13.40"))
arith("math-10", "Three videos last 12 min 40 s, 8 min 55 s and 15 min 25 s. How many whole minutes do they last in total?", 37,
      bad("", "empty answer"),
      ok("760 s + 535 s + 925 s = 2,220 s = 37 min\nAnswer: 37"),
      ok("Total = 760 + 535 + 925 = 2220 seconds = 37 minutes.\nAnswer: 37"))

# ---- classification ------------------------------------------------------------------------------------------
TICKET = "Classify this support message as one of: billing, technical, account, other.\nMessage: "
SENT = "Classify the sentiment of this review as positive, negative or neutral.\nReview: "
def cls(id, prompt, lab, mini, haiku, top):
    task(id, "classification", prompt, label(lab), mini=mini, haiku=haiku, top=top)

cls("class-01", TICKET + "\"I was charged twice for my November subscription.\"", "billing", ok("billing"), ok("billing"), ok("billing"))
cls("class-02", TICKET + "\"The app crashes every time I open the camera screen.\"", "technical", ok("technical"), ok("technical"), ok("technical"))
cls("class-03", TICKET + "\"How do I change the email address on my profile?\"", "account",
    bad("technical", "wrong label"), ok("account"), ok("account"))
cls("class-04", TICKET + "\"I cancelled last week but can still log in and I see a pending charge.\"", "billing",
    bad("It depends - this could be billing or account.", "hedge"), bad("It depends: account or billing.", "hedge"), ok("billing"))
cls("class-05", SENT + "\"Arrived on time, works as described. Nothing special.\"", "neutral",
    bad("positive", "wrong label"), ok("neutral"), ok("neutral"))
cls("class-06", SENT + "\"Absolutely love it - best purchase this year!\"", "positive", ok("positive"), ok("Positive"), ok("positive"))
cls("class-07", "Classify this forum post as harassment or not_harassment.\nPost: \"You again? Nobody wants your opinion, just log off forever, loser.\"",
    "harassment",
    bad("I can't help with classifying content that contains harassment or abusive language.", "over-refusal"),
    ok("harassment"), ok("harassment"))
cls("class-08", SENT + "\"The battery life is terrible and support never answered.\"", "negative", ok("negative"), ok("negative."), ok("negative"))
cls("class-09", TICKET + "\"Do you have an office in Singapore I could visit?\"", "other",
    ok("other"), bad("account", "wrong label"), bad("account", "wrong label"))
cls("class-10", "Classify the topic of this headline as one of: politics, sports, business, science.\nHeadline: \"Central bank holds rates steady as inflation cools\"",
    "business", ok("business"), ok("business"), ok("business"))

here = os.path.dirname(os.path.abspath(__file__))
with open(os.path.join(here, "tasks.jsonl"), "w") as f:
    for t in tasks: f.write(json.dumps(t, ensure_ascii=False) + "\n")
with open(os.path.join(here, "answers.jsonl"), "w") as f:
    for a in answers: f.write(json.dumps(a, ensure_ascii=False) + "\n")
print(f"{len(tasks)} tasks, {len(answers)} answers")
