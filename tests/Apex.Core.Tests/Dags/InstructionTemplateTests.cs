using Apex.Core.Dags;
using Xunit;

namespace Apex.Core.Tests.Dags;

public sealed class InstructionTemplateTests
{
    [Fact]
    public void References_NoBraces_ReturnsEmpty()
    {
        Assert.Empty(InstructionTemplate.References("Summarise tasks.a.output"));
    }

    [Fact]
    public void References_RepeatedKeys_ReturnsEachOnceInOrderOfFirstAppearance()
    {
        var references = InstructionTemplate.References("{{tasks.b.output}} then {{tasks.a.output}} and {{tasks.b.output}} again");

        Assert.Equal(["b", "a"], references);
    }

    [Theory]
    [InlineData("{{ tasks.a.output }}")]
    [InlineData("{{\ttasks.a.output\n}}")]
    [InlineData("x{{tasks.a.output}}y")]
    public void References_WhitespaceInsideBraces_Recognised(string instruction)
    {
        Assert.Equal(["a"], InstructionTemplate.References(instruction));
    }

    [Theory]
    [InlineData("{{tasks.a.b.output}}", "a.b")]
    [InlineData("{{tasks.x-y_z.output}}", "x-y_z")]
    [InlineData("{{tasks.v1.2.output.output}}", "v1.2.output")]
    [InlineData("{{tasks.-.output}}", "-")]
    public void References_KeyWithDotsOrDashes_ReturnsWholeKey(string instruction, string key)
    {
        Assert.Equal([key], InstructionTemplate.References(instruction));
    }

    [Theory]
    [InlineData("{{tasks.a}}")]
    [InlineData("{tasks.a.output}")]
    [InlineData("{{task.a.output}}")]
    [InlineData("{{tasks.a b.output}}")]
    [InlineData("{{tasks..output}}")]
    [InlineData("{{tasks.a.output}")]
    [InlineData("{{tasks.a.result}}")]
    public void References_NotAReference_Ignored(string instruction)
    {
        Assert.Empty(InstructionTemplate.References(instruction));
    }

    [Fact]
    public void Render_KnownReferences_SubstitutesOutputs()
    {
        var outputs = new Dictionary<string, string> { ["a"] = "ALPHA", ["b.c"] = "BETA" };

        var rendered = InstructionTemplate.Render("Compare {{tasks.a.output}} with {{ tasks.b.c.output }}; again {{tasks.a.output}}.", outputs.GetValueOrDefault);

        Assert.Equal("Compare ALPHA with BETA; again ALPHA.", rendered);
    }

    [Fact]
    public void Render_UnknownReference_LeftAsWritten()
    {
        var outputs = new Dictionary<string, string> { ["a"] = "ALPHA" };

        var rendered = InstructionTemplate.Render("{{tasks.a.output}} and {{ tasks.ghost.output }}", outputs.GetValueOrDefault);

        Assert.Equal("ALPHA and {{ tasks.ghost.output }}", rendered);
    }

    [Fact]
    public void Render_OutputLooksLikeTemplateOrSubstitution_InsertedVerbatim()
    {
        var outputs = new Dictionary<string, string> { ["a"] = "{{tasks.b.output}} costs $0 and $1", ["b"] = "SECRET" };

        var rendered = InstructionTemplate.Render("Got: {{tasks.a.output}}", outputs.GetValueOrDefault);

        Assert.Equal("Got: {{tasks.b.output}} costs $0 and $1", rendered);
    }

    [Fact]
    public void Render_NoBraces_ReturnsInstructionWithoutLookingUpOutputs()
    {
        const string Instruction = "Summarise tasks.a.output";
        var lookups = 0;

        var rendered = InstructionTemplate.Render(Instruction, _ =>
        {
            lookups++;
            return "x";
        });

        Assert.Same(Instruction, rendered);
        Assert.Equal(0, lookups);
    }
}
