using System.Net;
using System.Security.Cryptography.X509Certificates;
using Latch.Core.Actions;
using Latch.Core.Rules;
using Latch.Devices.Windows;
using Latch.Protocols.Windows;
using Microsoft.EntityFrameworkCore;

namespace Latch.Server.Tests.Windows.Mdm;

public sealed class WindowsRenewalServer() : WindowsServerFixture(withPush: false);

/// <summary>
/// Certificate renewal (MS-MDE2 §3.4, RequestType Renew): the renewed certificate works at once, and the one it
/// renewed stays accepted only until the new one is used.
/// </summary>
public sealed class WindowsRenewalTests(WindowsRenewalServer fixture) : IClassFixture<WindowsRenewalServer>
{
    private WindowsTestServer Server => fixture.Server;

    // A copy the device will not dispose when it installs its renewed certificate.
    private static X509Certificate2 Copy(X509Certificate2 certificate) =>
        X509CertificateLoader.LoadPkcs12(certificate.Export(X509ContentType.Pkcs12), null);

    private async Task<HttpStatusCode> SessionWithAsync(X509Certificate2 certificate, SimulatedWindowsDevice device)
    {
        using var client = Server.ClientWithCertificate(certificate);
        var message = new SyncMessage
        {
            Header = device.HeaderFor(device.NextSessionId(), 1),
            Commands = [new SyncAlert { CmdId = "1", Data = SyncAlertCodes.ClientInitiatedMgmt }],
            Final = true,
        };
        using var response = await client.PostSyncMlAsync(device.ManagementUrl!, message.Encode());
        return response.StatusCode;
    }

    [Fact]
    public async Task AfterRenewal_TheNewCertificateWorks_AndTheOldIsRetiredOnceTheNewIsUsed()
    {
        var (device, id) = await Server.EnrolledAsync(WindowsScenarios.Mobile);
        using var old = Copy(device.Certificate!);

        await device.RenewAsync();

        Assert.NotEqual(old.Thumbprint, device.Certificate!.Thumbprint);
        Assert.Equal(old.Subject, device.Certificate.Subject);
        // Until the new certificate is used, the old one still works (the device may not have installed the new one yet).
        Assert.Equal(HttpStatusCode.OK, await SessionWithAsync(old, device));

        await Server.RequestedAsync(id, RemoteAction.RemoteLock);
        await device.SessionAsync(); // the renewed certificate
        Assert.Equal(DeviceActionState.Done, (await Server.LatestActionAsync(id, RemoteAction.RemoteLock)).State);
        Assert.True(device.Locked);
        var enrollment = await Server.DbAsync(db => db.WindowsEnrollments.AsNoTracking().SingleAsync(e => e.DeviceId == id));
        Assert.Null(enrollment.PreviousCertificateThumbprint);

        // Retired: no enrolment's certificate any more.
        Assert.Equal(HttpStatusCode.Unauthorized, await SessionWithAsync(old, device));
        Assert.Equal(HttpStatusCode.OK, await SessionWithAsync(device.Certificate, device));
    }
}
