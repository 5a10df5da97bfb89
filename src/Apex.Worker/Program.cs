using Apex.Worker;

var builder = WebApplication.CreateSlimBuilder(args);
builder.AddApexServiceDefaults("apex-worker");
builder.Services.AddApexAgents();
builder.Services.AddApexRedis(builder.Configuration);
builder.Services.AddApexWorker(builder.Configuration);
builder.Services.AddApexSecretRedaction();

var app = builder.Build();
app.MapWorkerHealth();
app.Run();
