using System.Net;
using System.Text.RegularExpressions;
using Latch.Core.Demo;
using Latch.Core.Groups;
using Microsoft.EntityFrameworkCore;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Latch.Browser.Tests;

/// <summary>
/// The console in a real browser against the real server: the issue's scenario (sign in, tick devices of three
/// platforms, Remote Lock with the refused one named, live states), the lost-device second confirmation, search and
/// paging, a Read Only account, and the sign-in form by keyboard. Each test has its own browser context; they
/// take screenshots of the pages they pass through.
/// </summary>
public sealed partial class ConsoleScenarioTests(ConsoleServer server)
{
    private const string AdaIphone = "Ada's iPhone 15", AdaMac = "Ada's MacBook Pro", AlanPixel = "Alan's Pixel 8",
        MargaretLostIphone = "Margaret's iPhone 13 (lost)";

    [GeneratedRegex(@"/actions/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")]
    private static partial Regex RequestPage();

    [Fact]
    public async Task AnonymousBrowser_IsSentToSignIn_AndTheFormWorksWithTabAndEnter()
    {
        var page = await server.NewPageAsync();
        await page.GotoAsync("/audit");

        await Expect(page).ToHaveURLAsync(new Regex(@"/login\?returnUrl=%2Faudit$"));
        await Expect(page.GetByTestId("signin-username")).ToBeFocusedAsync();
        await ConsoleServer.ScreenshotAsync(page, "sign-in");

        await page.Keyboard.TypeAsync("admin");
        await page.Keyboard.PressAsync("Tab");
        await Expect(page.GetByTestId("signin-password")).ToBeFocusedAsync();
        await page.Keyboard.TypeAsync(ConsoleServer.AdminPassword);
        await page.Keyboard.PressAsync("Enter");

        await Expect(page).ToHaveURLAsync(new Regex("/audit$"));
        await Expect(page.GetByTestId("signed-in-role")).ToHaveTextAsync("Administrator");
        await Expect(page.GetByTestId("audit-table")).ToBeVisibleAsync();
    }

    [Fact]
    public async Task RemoteLock_ThreePlatforms_NamesTheRefusedMac_AndTheSimulatedIphoneCompletesLive()
    {
        var page = await server.SignedInPageAsync("admin", ConsoleServer.AdminPassword);
        await page.GetByTestId("nav-all-direct-managed-devices").ClickAsync();
        await Expect(page.GetByTestId("page-title")).ToHaveTextAsync("All Direct Managed Devices");
        // The title comes with the new page; the rows of the list it replaces can stay on screen until the new list has
        // loaded, and a click on them would go to a list that is gone.
        await Expect(page.GetByTestId("device-table"))
            .ToHaveAttributeAsync("data-group", BuiltInGroups.AllDirectManagedDevices.Id.ToString());

        foreach (var name in new[] { AdaIphone, AdaMac, AlanPixel })
            await page.GetByLabel($"Select {name}", new() { Exact = true }).CheckAsync();
        await Expect(page.GetByTestId("selected-count")).ToHaveAttributeAsync("data-count", "3");
        await ConsoleServer.ScreenshotAsync(page, "device-list");

        await page.GetByTestId("remote-tasks-menu").ClickAsync();
        await page.GetByTestId("remote-task-lock").ClickAsync();

        var dialog = page.GetByTestId("confirm-dialog");
        await Expect(dialog.GetByTestId("confirm-will-run-count")).ToHaveAttributeAsync("data-count", "2");
        await Expect(dialog.GetByTestId("confirm-skipped-count")).ToHaveAttributeAsync("data-count", "1");
        var skipped = dialog.GetByTestId("confirm-skipped-group");
        await Expect(skipped).ToHaveCountAsync(1);
        await Expect(skipped).ToContainTextAsync("Remote lock is not supported on macOS.");
        await Expect(skipped).ToContainTextAsync(AdaMac);
        await ConsoleServer.ScreenshotAsync(page, "confirmation");

        await dialog.GetByTestId("confirm-submit").ClickAsync();
        await Expect(page).ToHaveURLAsync(RequestPage());

        // A mark on the window: still there after the states change means the page updated itself, not a reload.
        await page.EvaluateAsync("() => { window.latchNotReloaded = true; }");
        await Expect(Row(page, "request-device-row", AdaIphone)).ToHaveAttributeAsync("data-state", "done", new() { Timeout = 45_000 });
        await Expect(Row(page, "request-device-row", AlanPixel)).ToHaveAttributeAsync("data-state", "pending"); // a record, no device to answer
        await Expect(Row(page, "request-device-row", AdaMac)).ToHaveAttributeAsync("data-state", "notSupported");
        await Expect(page.Locator("[data-testid=state-count][data-state=done]")).ToHaveAttributeAsync("data-count", "1");
        Assert.True(await page.EvaluateAsync<bool>("() => window.latchNotReloaded === true"), "the request page reloaded instead of updating");
        await ConsoleServer.ScreenshotAsync(page, "request");

        await Row(page, "request-device-row", AdaIphone).GetByRole(AriaRole.Link).ClickAsync();
        await Expect(page.GetByTestId("page-title")).ToHaveTextAsync(AdaIphone);
        var latest = page.GetByTestId("action-history-row").First;
        await Expect(latest).ToHaveAttributeAsync("data-state", "done");
        await Expect(latest).ToContainTextAsync("Remote Lock");
        await ConsoleServer.ScreenshotAsync(page, "device");

        await page.GetByTestId("nav-audit").ClickAsync();
        await Expect(page.GetByTestId("audit-row").First).ToBeVisibleAsync();
        await ConsoleServer.ScreenshotAsync(page, "audit");

        await page.SetViewportSizeAsync(820, 1180);
        await page.GetByTestId("nav-all-direct-managed-devices").ClickAsync();
        await Expect(Row(page, "device-row", AdaIphone).GetByTestId("action-state")).ToHaveAttributeAsync("data-state", "done");
        await ConsoleServer.ScreenshotAsync(page, "device-list-tablet");
    }

    [Fact]
    public async Task PasscodeReset_OnTheLostIphone_AsksASecondTimeNamingIt()
    {
        var page = await server.SignedInPageAsync("admin", ConsoleServer.AdminPassword);
        await page.GetByTestId("device-search").FillAsync("margaret's iphone");
        await Expect(page.GetByTestId("device-count")).ToHaveAttributeAsync("data-count", "1");
        await Expect(Row(page, "device-row", MargaretLostIphone).GetByTestId("device-lost")).ToBeVisibleAsync();
        await page.GetByLabel($"Select {MargaretLostIphone}", new() { Exact = true }).CheckAsync();

        await page.GetByTestId("remote-tasks-menu").ClickAsync();
        await page.GetByTestId("remote-task-passcode-reset").ClickAsync();
        var dialog = page.GetByTestId("confirm-dialog");
        await Expect(dialog.GetByTestId("confirm-lost-count")).ToHaveAttributeAsync("data-count", "1");
        await Expect(dialog.GetByTestId("confirm-will-run-count")).ToHaveAttributeAsync("data-count", "0");
        await dialog.GetByTestId("confirm-submit").ClickAsync();

        await Expect(dialog.GetByTestId("confirm-lost-list")).ToContainTextAsync(MargaretLostIphone);
        var include = dialog.GetByTestId("confirm-lost-include");
        await Expect(include).ToHaveAttributeAsync("disabled", new Regex(".*")); // not before the acknowledgement
        await dialog.GetByTestId("confirm-lost-acknowledge").CheckAsync();
        await Expect(include).Not.ToHaveAttributeAsync("disabled", new Regex(".*"));
        await ConsoleServer.ScreenshotAsync(page, "confirmation-lost");

        await dialog.GetByTestId("confirm-cancel").ClickAsync();
        await Expect(page.GetByTestId("confirm-dialog")).ToHaveCountAsync(0);
        await Expect(Row(page, "device-row", MargaretLostIphone).GetByTestId("device-last-action")).ToContainTextAsync("None");
    }

    [Fact]
    public async Task SearchSortAndPaging_AreDoneAcrossTheWholeList()
    {
        var total = 22 + ConsoleServer.ExtraDevices;
        var page = await server.SignedInPageAsync("admin", ConsoleServer.AdminPassword);
        await Expect(page.GetByTestId("device-count")).ToHaveAttributeAsync("data-count", total.ToString(System.Globalization.CultureInfo.InvariantCulture));
        await Expect(page.GetByTestId("page-range")).ToHaveTextAsync($"1–50 of {total}");
        await Expect(page.GetByTestId("device-row")).ToHaveCountAsync(50);

        await page.GetByTestId("page-next").ClickAsync();
        await Expect(page.GetByTestId("page-range")).ToHaveTextAsync($"51–{total} of {total}");
        await Expect(page.GetByTestId("device-row")).ToHaveCountAsync(total - 50);
        await Expect(page.GetByTestId("page-next")).ToBeDisabledAsync();

        await page.GetByTestId("device-search").FillAsync("LOANER");   // names and serial numbers, any case
        await Expect(page.GetByTestId("device-count")).ToHaveAttributeAsync("data-count", "40");
        await Expect(page.GetByTestId("page-range")).ToHaveTextAsync("1–40 of 40");
        await page.GetByTestId("sort-name").ClickAsync();               // already by name: now descending
        await Expect(page.GetByTestId("device-link").First).ToHaveTextAsync("Loaner iPad 40");
        await page.GetByTestId("page-size").SelectOptionAsync("25");
        await Expect(page.GetByTestId("page-range")).ToHaveTextAsync("1–25 of 40");
        await page.GetByTestId("page-next").ClickAsync();
        await Expect(page.GetByTestId("device-link").First).ToHaveTextAsync("Loaner iPad 15");

        await page.GetByTestId("device-search").FillAsync("no such device");
        await Expect(page.GetByTestId("device-list-empty")).ToBeVisibleAsync();
    }

    [Fact]
    public async Task ReadOnly_SeesNoRemoteTasks_AndItsForgedLockIsRefused()
    {
        var page = await server.SignedInPageAsync(ConsoleServer.ReaderName, ConsoleServer.ReaderPassword);
        await Expect(page.GetByTestId("signed-in-role")).ToHaveTextAsync("Read Only");
        await Expect(page.GetByTestId("remote-tasks-unavailable")).ToBeVisibleAsync();
        await Expect(page.GetByTestId("device-row").First).ToBeVisibleAsync();
        await Expect(page.GetByTestId("remote-tasks-menu")).ToHaveCountAsync(0);

        var galaxy = DemoFleet.DeviceIdOf("Alan's Galaxy S7");
        await page.GotoAsync($"/devices/{galaxy}");
        await Expect(page.GetByTestId("action-history").Or(page.GetByTestId("history-empty"))).ToBeVisibleAsync();
        await Expect(page.GetByTestId("remote-tasks-unavailable")).ToBeVisibleAsync();
        await Expect(page.GetByTestId("toggle-lost")).ToHaveCountAsync(0);

        // The session's own cookie on the admin API, as a script in the page could send it: refused by role.
        var forged = await page.Context.APIRequest.PostAsync("/v1.0/deviceManagement/managedDevices/executeAction",
            new() { DataObject = new { actionName = "remoteLock", deviceIds = new[] { galaxy } } });
        Assert.Equal((int)HttpStatusCode.Forbidden, forged.Status);

        await using var db = server.OpenDatabase();
        Assert.False(await db.DeviceActions.AnyAsync(a => a.DeviceId == galaxy, TestContext.Current.CancellationToken));
    }

    private static ILocator Row(IPage page, string testId, string deviceName) =>
        page.Locator($"[data-testid={testId}][data-device-id='{DemoFleet.DeviceIdOf(deviceName)}']");
}
