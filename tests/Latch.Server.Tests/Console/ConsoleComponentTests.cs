using Bunit;
using Latch.Core.Access;
using Latch.Core.Actions;
using Latch.Core.Groups;
using Latch.Core.Rules;
using Latch.Server.Console;
using Latch.Server.Console.Components;
using Microsoft.AspNetCore.Authorization;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.FluentUI.AspNetCore.Components;

namespace Latch.Server.Tests.Console;

/// <summary>The console's components rendered with bUnit: the confirmation's logic and the action-state display.</summary>
public sealed class RemoteTaskConfirmationTests : BunitContext
{
    public RemoteTaskConfirmationTests()
    {
        Services.AddFluentUIComponents();
        JSInterop.Mode = JSRuntimeMode.Loose;
    }

    private static readonly PreviewDevice Mac = new(Guid.NewGuid(), "Ada's MacBook Pro");
    private static readonly PreviewDevice Lost = new(Guid.NewGuid(), "Margaret's iPhone 13");

    private static ActionPreviewResult Preview(RemoteAction action, int willRun, IReadOnlyList<SkippedGroup>? skipped = null,
        IReadOnlyList<PreviewDevice>? lost = null) =>
        new(action, willRun + (skipped?.Sum(g => g.Count) ?? 0) + (lost?.Count ?? 0), willRun, skipped ?? [], lost ?? [], 0, []);

    private IRenderedComponent<RemoteTaskConfirmation> Render(ActionPreviewResult preview, List<bool> confirmed) =>
        Render<RemoteTaskConfirmation>(p => p
            .Add(c => c.Preview, preview)
            .Add(c => c.OnConfirm, (bool lostConfirmed) => confirmed.Add(lostConfirmed)));

    [Fact]
    public void ShowsHowManyGetIt_AndTheSkippedGroupedByReason()
    {
        var preview = Preview(RemoteAction.RemoteLock, 3,
        [
            new SkippedGroup("Remote lock is not supported on macOS.", 14, [Mac]),
            new SkippedGroup("The device has no PIN or passcode set, ...", 1, [new PreviewDevice(Guid.NewGuid(), "Kiosk tablet")]),
        ]);
        var confirmed = new List<bool>();
        var cut = Render(preview, confirmed);

        Assert.Equal("3", cut.Find("[data-testid=confirm-will-run-count]").GetAttribute("data-count"));
        Assert.Equal("15", cut.Find("[data-testid=confirm-skipped-count]").GetAttribute("data-count"));
        var groups = cut.FindAll("[data-testid=confirm-skipped-group]");
        Assert.Equal(["14", "1"], groups.Select(g => g.GetAttribute("data-count")));
        Assert.Contains("Remote lock is not supported on macOS.", groups[0].TextContent, StringComparison.Ordinal);
        Assert.Contains("Ada's MacBook Pro and 13 more", groups[0].TextContent, StringComparison.Ordinal);
        Assert.Contains("Lock 3 devices", cut.Find("[data-testid=confirm-submit]").TextContent, StringComparison.Ordinal);

        cut.Find("[data-testid=confirm-submit]").Click();
        Assert.Equal([false], confirmed);
    }

    [Fact]
    public void NothingToSend_SaysSo_AndCannotBeSubmitted()
    {
        var cut = Render(Preview(RemoteAction.RemoteLock, 0, [new SkippedGroup("Remote lock is not supported on macOS.", 2, [Mac])]), []);

        Assert.NotNull(cut.Find("[data-testid=confirm-nothing-to-send]"));
        Assert.True(cut.Find("[data-testid=confirm-submit]").HasAttribute("disabled"));
    }

    [Fact]
    public void PasscodeReset_OnALostDevice_AsksASecondTime_AndSendsTheConfirmationOnlyWhenAcknowledged()
    {
        var confirmed = new List<bool>();
        var cut = Render(Preview(RemoteAction.ResetPasscode, 2, lost: [Lost]), confirmed);
        Assert.Equal("1", cut.Find("[data-testid=confirm-lost-count]").GetAttribute("data-count"));

        cut.Find("[data-testid=confirm-submit]").Click(); // "Continue": nothing is sent yet
        Assert.Empty(confirmed);
        Assert.Contains("Margaret's iPhone 13", cut.Find("[data-testid=confirm-lost-list]").TextContent, StringComparison.Ordinal);
        var include = cut.Find("[data-testid=confirm-lost-include]");
        Assert.True(include.HasAttribute("disabled"));
        Assert.Contains("3 devices", include.TextContent, StringComparison.Ordinal);

        cut.Find("[data-testid=confirm-lost-acknowledge]").Change(true);
        cut.Find("[data-testid=confirm-lost-include]").Click();
        Assert.Equal([true], confirmed);
    }

    [Fact]
    public void PasscodeReset_OnALostDevice_CanSkipIt()
    {
        var confirmed = new List<bool>();
        var cut = Render(Preview(RemoteAction.ResetPasscode, 2, lost: [Lost]), confirmed);
        cut.Find("[data-testid=confirm-submit]").Click();

        cut.Find("[data-testid=confirm-lost-skip]").Click();
        Assert.Equal([false], confirmed);
    }

    [Fact]
    public void OnlyLostDevices_CannotBeSkippedIntoAnEmptyRequest()
    {
        var cut = Render(Preview(RemoteAction.ResetPasscode, 0, lost: [Lost]), []);
        cut.Find("[data-testid=confirm-submit]").Click();
        Assert.True(cut.Find("[data-testid=confirm-lost-skip]").HasAttribute("disabled"));
    }

    [Theory]
    [InlineData(DeviceActionState.NotSupported, "notSupported", "Not supported")]
    [InlineData(DeviceActionState.Pending, "pending", "Pending")]
    [InlineData(DeviceActionState.Active, "active", "Sent to device")]
    [InlineData(DeviceActionState.Done, "done", "Done")]
    [InlineData(DeviceActionState.Failed, "failed", "Failed")]
    [InlineData(DeviceActionState.Canceled, "canceled", "Canceled")]
    public void ActionState_ShowsAWord_AndTheWireSpelling(DeviceActionState state, string wire, string words)
    {
        var badge = Render<ActionStateBadge>(p => p.Add(c => c.State, state)).Find("[data-testid=action-state]");
        Assert.Equal(wire, badge.GetAttribute("data-state"));
        Assert.Equal(words, badge.TextContent.Trim());
        Assert.Contains($"state-{wire}", badge.ClassName, StringComparison.Ordinal);
    }
}

/// <summary>The device list over the demo fleet in a real server: what each role is shown.</summary>
public sealed class DeviceListComponentTests : BunitContext, IAsyncLifetime
{
    private LatchAppFactory _app = null!;

    public ValueTask InitializeAsync()
    {
        _app = new LatchAppFactory(new Dictionary<string, string?> { ["Demo"] = "true" });
        _app.CreateClient();
        Services.AddFluentUIComponents();
        JSInterop.Mode = JSRuntimeMode.Loose;
        // The real services over the real database; the role checks use the server's own authorization policies.
        var scopes = _app.Services.GetRequiredService<IServiceScopeFactory>();
        var listing = new DeviceListing(scopes);
        Services.AddSingleton(listing);
        Services.AddSingleton(new ConsoleOperations(scopes, _app.Services.GetRequiredService<IAuthorizationService>(), listing));
        return ValueTask.CompletedTask;
    }

    public new async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        await _app.DisposeAsync();
    }

    private IRenderedComponent<DeviceList> RenderAs(AdminRole role)
    {
        AddAuthorization().SetAuthorized("someone").SetRoles(role.ToString());
        var cut = Render<DeviceList>(p => p.Add(c => c.Scope, ListingScope.Group(BuiltInGroups.AllDevices.Id)));
        cut.WaitForElement("[data-testid=device-row]", TimeSpan.FromSeconds(10));
        return cut;
    }

    [Fact]
    public void AReadOnlyAccount_SeesTheDevices_ButNoRemoteTasks()
    {
        var cut = RenderAs(AdminRole.ReadOnly);
        Assert.Equal(22, cut.FindAll("[data-testid=device-row]").Count);
        Assert.Empty(cut.FindAll("[data-testid=remote-tasks-menu]"));
        Assert.NotNull(cut.Find("[data-testid=remote-tasks-unavailable]"));
    }

    [Fact]
    public void AHelpDeskOperator_GetsRemoteTasks_OnceSomethingIsSelected()
    {
        var cut = RenderAs(AdminRole.HelpDeskOperator);
        Assert.True(cut.Find("[data-testid=remote-tasks-menu]").HasAttribute("disabled"));

        cut.FindAll("[data-testid=device-checkbox]")[0].Change(true);
        Assert.Equal("1", cut.Find("[data-testid=selected-count]").GetAttribute("data-count"));
        Assert.False(cut.Find("[data-testid=remote-tasks-menu]").HasAttribute("disabled"));
    }

    [Fact]
    public void SelectingAPage_OffersEveryMatchingDevice_AcrossPages()
    {
        var cut = RenderAs(AdminRole.Administrator);
        cut.Find("[data-testid=page-size]").Change("10");
        cut.WaitForAssertion(() => Assert.Equal(10, cut.FindAll("[data-testid=device-row]").Count));

        cut.Find("[data-testid=select-page]").Change(true);
        cut.Find("[data-testid=select-all-matching]").Click();

        Assert.Equal("22", cut.Find("[data-testid=selected-count]").GetAttribute("data-count"));
        cut.FindAll("[data-testid=device-checkbox]")[0].Change(false);
        Assert.Equal("21", cut.Find("[data-testid=selected-count]").GetAttribute("data-count"));
    }

    [Fact]
    public void Search_NarrowsTheListInTheDatabase_AndSaysWhenNothingMatches()
    {
        var cut = RenderAs(AdminRole.ReadOnly);
        cut.Find("[data-testid=device-search]").Input("no such device anywhere");
        cut.WaitForElement("[data-testid=device-list-empty]", TimeSpan.FromSeconds(5));
        Assert.Equal("0", cut.Find("[data-testid=device-count]").GetAttribute("data-count"));

        cut.Find("[data-testid=device-search]").Input("iphone");
        cut.WaitForAssertion(() => Assert.All(cut.FindAll("[data-testid=device-link]"),
            link => Assert.Contains("iphone", link.TextContent, StringComparison.OrdinalIgnoreCase)), TimeSpan.FromSeconds(5));
    }
}
