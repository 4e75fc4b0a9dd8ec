using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Web;

namespace Latch.Server.Console;

/// <summary>
/// Pages render on the server as plain HTML; the parts that must react (selection, confirmation, live states) are
/// interactive server components. They are not prerendered: what a browser (or a test driving one) sees is already
/// live, so no click lands on a control that is not listening yet.
/// </summary>
public static class ConsoleRenderMode
{
    public static IComponentRenderMode Interactive { get; } = new InteractiveServerRenderMode(prerender: false);
}
