using System.Net;
using System.Net.Http.Json;
using Latch.Core.Actions;
using Latch.Core.Rules;
using Latch.Core.Tests.Storage;
using Latch.Devices.Apple;
using Microsoft.AspNetCore.Http;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Latch.Server.Tests.Apple;

/// <summary>
/// Many devices reporting at once, on each database: their writes share commits (group commit), and every device still
/// gets exactly its own command and every action ends done. Also the TLS client certificate way of authenticating.
/// </summary>
public abstract class AppleMdmStorageContract(StorageBackend backend) : IAsyncLifetime
{
    private AppleTestServer _server = null!;

    public async ValueTask InitializeAsync() => _server = await AppleTestServer.StartAsync(backend, withPush: true);

    public async ValueTask DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task ThirtyDevices_LockedInOneRequest_AllCheckInAtOnce_EachGetsItsOwnLock_AllDone()
    {
        // No push, from enrolment on: a session woken by the first TokenUpdate's push must not race with the test's
        // sessions (it could take the lock); the devices check in by themselves, all at once.
        var devices = await Task.WhenAll(Enumerable.Range(0, 30).Select(i =>
            _server.EnrolledDeviceAsync(i % 3 == 0 ? AppleDeviceKind.IPad : AppleDeviceKind.IPhone, pushAnswer: FakeApnsAnswer.ServiceUnavailable)));
        var ids = await Task.WhenAll(devices.Select(_server.DeviceIdOfAsync));
        _server.Apns!.DefaultAnswer = FakeApnsAnswer.ServiceUnavailable;

        var response = await _server.Admin.PostAsJsonAsync("/v1.0/deviceManagement/managedDevices/executeAction",
            new { actionName = "remoteLock", deviceIds = ids.Select(id => id.ToString()).ToArray() });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var sessions = await Task.WhenAll(devices.Select(d => d.RunSessionAsync()));

        for (var i = 0; i < devices.Length; i++)
        {
            Assert.True(sessions[i].Completed, sessions[i].Error?.ToString());
            var received = Assert.Single(sessions[i].Commands);
            Assert.Equal("DeviceLock", received.RequestType);
            var action = await _server.ActionWhenFinishedAsync(ids[i], RemoteAction.RemoteLock);
            Assert.Equal(DeviceActionState.Done, action.State);
            Assert.Equal(action.CommandId!.Value, Guid.Parse(received.CommandUUID)); // its own command, nobody else's
        }
    }

    [Fact]
    public async Task TlsClientCertificate_InsteadOfMdmSignature_IsAccepted_AndAForeignOneRefused()
    {
        var phone = await _server.NewDeviceAsync(AppleDeviceKind.IPhone);
        var body = phone.CreateAuthenticateMessage();

        var accepted = await SendWithClientCertificateAsync(phone.Profile.CheckInUrl, body, phone.Profile.Identity);
        using var foreign = FakeApns.CreatePushCertificate("com.example.not-a-device");
        var refused = await SendWithClientCertificateAsync(phone.Profile.CheckInUrl, body, foreign);

        Assert.Equal(StatusCodes.Status200OK, accepted);
        Assert.Equal(StatusCodes.Status400BadRequest, refused);
        Assert.True(await _server.DbAsync(db => db.AppleEnrollments.AnyAsync(e => e.Udid == phone.Udid)));
    }

    // The in-memory server has no TLS handshake; the connection's client certificate is what Kestrel sets after one.
    private async Task<int> SendWithClientCertificateAsync(Uri url, byte[] body, System.Security.Cryptography.X509Certificates.X509Certificate2 certificate)
    {
        var context = await _server.App.Server.SendAsync(http =>
        {
            http.Request.Method = "PUT";
            http.Request.Path = url.AbsolutePath;
            http.Request.ContentType = Latch.Protocols.Apple.CheckinMessage.ContentType;
            http.Request.Body = new MemoryStream(body);
            http.Request.ContentLength = body.Length;
            http.Connection.ClientCertificate = certificate;
        });
        return context.Response.StatusCode;
    }
}

public sealed class AppleMdmOnSqlite() : AppleMdmStorageContract(SqliteBackend.Instance);

public sealed class AppleMdmOnPostgres() : AppleMdmStorageContract(PostgresBackend.Instance);
