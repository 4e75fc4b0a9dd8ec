using System.Security.Cryptography.X509Certificates;
using System.Security.Cryptography;
using Latch.Core.Data;
using Latch.Core.Secrets;
using Latch.Core.Tests.Storage;
using Latch.Server.Apple.Enrollment;
using Latch.Server.Devices;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace Latch.Server.Tests.Apple;

/// <summary>Throwaway CAs for tests that do not care where the CA is stored: making an RSA-3072 key takes a moment.</summary>
internal static class TestAuthorities
{
    public static readonly DateTimeOffset Start = new(2026, 11, 27, 9, 0, 0, TimeSpan.Zero);
    private static readonly Lazy<DeviceCertificateAuthority> SharedCa = new(() => DeviceCertificateAuthority.CreateNew(new FakeTimeProvider(Start)));
    private static readonly Lazy<DeviceCertificateAuthority> ForeignCa = new(() => DeviceCertificateAuthority.CreateNew(new FakeTimeProvider(Start)));

    /// <summary>Created at <see cref="Start"/>; so is everything it issues.</summary>
    public static DeviceCertificateAuthority Shared => SharedCa.Value;

    /// <summary>Another deployment's CA, with the very same subject name as ours.</summary>
    public static DeviceCertificateAuthority Foreign => ForeignCa.Value;

    public static bool ChainsTo(X509Certificate2 leaf, X509Certificate2 root, DateTimeOffset at, X509Certificate2Collection? extra = null)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(root);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.VerificationTime = at.UtcDateTime;
        if (extra is not null) chain.ChainPolicy.ExtraStore.AddRange(extra);
        return chain.Build(leaf);
    }
}

public sealed class CertificateAuthorityTests
{
    private static DeviceCertificateAuthority Ca => TestAuthorities.Shared;

    [Fact]
    public void CaCertificate_IsASelfSignedSha256CaForCertificateSigningOnly_ForTenYears()
    {
        var ca = Ca.Certificate;
        Assert.False(ca.HasPrivateKey);
        Assert.Equal("CN=Latch Device Enrollment CA, O=Latch", ca.Subject);
        Assert.Equal(ca.Subject, ca.Issuer);
        Assert.Equal("1.2.840.113549.1.1.11", ca.SignatureAlgorithm.Value); // sha256WithRSAEncryption
        Assert.True(ca.GetRSAPublicKey()!.KeySize >= 2048);

        var basic = Assert.Single(ca.Extensions.OfType<X509BasicConstraintsExtension>());
        Assert.True(basic.CertificateAuthority);
        Assert.True(basic.Critical);
        var usage = Assert.Single(ca.Extensions.OfType<X509KeyUsageExtension>());
        Assert.Equal(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, usage.KeyUsages);
        Assert.Single(ca.Extensions.OfType<X509SubjectKeyIdentifierExtension>());

        var lifetime = ca.NotAfter - ca.NotBefore;
        Assert.InRange(lifetime.TotalDays, 3650, 3660);
        Assert.True(TestAuthorities.ChainsTo(ca, ca, TestAuthorities.Start));
    }

    [Theory]
    [InlineData(DeviceKeyAlgorithm.Rsa2048)]
    [InlineData(DeviceKeyAlgorithm.EcdsaP256)]
    public void DeviceIdentity_ChainsToTheCa_ForClientAuthentication_ForAboutTwoYears(DeviceKeyAlgorithm algorithm)
    {
        var identity = Ca.IssueDeviceIdentity("iPhone of Ada", algorithm);
        var leaf = identity.Certificate;

        Assert.True(leaf.HasPrivateKey);
        Assert.Equal("CN=iPhone of Ada", leaf.Subject);
        Assert.Equal(Ca.Certificate.Subject, leaf.Issuer);
        Assert.True(TestAuthorities.ChainsTo(leaf, Ca.Certificate, TestAuthorities.Start.AddDays(1)));
        Assert.False(TestAuthorities.ChainsTo(leaf, TestAuthorities.Foreign.Certificate, TestAuthorities.Start.AddDays(1)));

        if (algorithm == DeviceKeyAlgorithm.Rsa2048) Assert.Equal(2048, leaf.GetRSAPrivateKey()!.KeySize);
        else Assert.Equal(256, leaf.GetECDsaPrivateKey()!.KeySize);

        var eku = Assert.Single(leaf.Extensions.OfType<X509EnhancedKeyUsageExtension>());
        Assert.Equal("1.3.6.1.5.5.7.3.2", Assert.Single(eku.EnhancedKeyUsages.Cast<Oid>()).Value); // clientAuth
        var usage = Assert.Single(leaf.Extensions.OfType<X509KeyUsageExtension>()).KeyUsages;
        Assert.True(usage.HasFlag(X509KeyUsageFlags.DigitalSignature));
        Assert.Equal(algorithm == DeviceKeyAlgorithm.Rsa2048, usage.HasFlag(X509KeyUsageFlags.KeyEncipherment));
        Assert.False(usage.HasFlag(X509KeyUsageFlags.KeyCertSign));
        Assert.False(Assert.Single(leaf.Extensions.OfType<X509BasicConstraintsExtension>()).CertificateAuthority);

        var authorityKey = Assert.Single(leaf.Extensions.OfType<X509AuthorityKeyIdentifierExtension>());
        var caKey = Assert.Single(Ca.Certificate.Extensions.OfType<X509SubjectKeyIdentifierExtension>());
        Assert.Equal(Convert.FromHexString(caKey.SubjectKeyIdentifier!), authorityKey.KeyIdentifier!.Value.ToArray());

        Assert.Equal(TestAuthorities.Start.AddDays(730).UtcDateTime, leaf.NotAfter.ToUniversalTime());
        Assert.True(leaf.NotBefore.ToUniversalTime() <= TestAuthorities.Start.UtcDateTime);
        Assert.Equal(new DateTimeOffset(leaf.NotAfter.ToUniversalTime()), identity.NotAfter);
    }

    [Fact]
    public void DeviceIdentities_HaveDistinctRandomPositiveSerialNumbers()
    {
        var serials = Enumerable.Range(0, 5)
            .Select(_ => Ca.IssueDeviceIdentity("device", DeviceKeyAlgorithm.EcdsaP256).Certificate.SerialNumberBytes.ToArray())
            .ToList();
        Assert.Equal(5, serials.Select(Convert.ToHexString).Distinct().Count());
        Assert.All(serials, serial => Assert.True(serial.Length >= 16));
    }

    [Fact]
    public void Sha256Thumbprint_IsUpperCaseHexOfTheDerBytes()
    {
        var identity = Ca.IssueDeviceIdentity("device", DeviceKeyAlgorithm.EcdsaP256);
        var expected = Convert.ToHexString(SHA256.HashData(identity.Certificate.RawData));
        Assert.Equal(expected, identity.Sha256Thumbprint);
        Assert.Equal(expected, DeviceCertificateAuthority.Sha256Thumbprint(identity.Certificate));
        Assert.Equal(64, expected.Length);
        Assert.Equal(expected.ToUpperInvariant(), expected);
    }

    [Fact]
    public void Issued_OwnCertificateWithinItsValidity_IsTrue()
    {
        var leaf = Ca.IssueDeviceIdentity("device").Certificate;
        Assert.True(Ca.Issued(leaf, TestAuthorities.Start));
        Assert.True(Ca.Issued(leaf, TestAuthorities.Start.AddDays(729)));
    }

    [Fact]
    public void Issued_CertificateFromAnotherCaWithTheSameName_IsFalse()
    {
        var leaf = TestAuthorities.Foreign.IssueDeviceIdentity("device").Certificate;
        Assert.Equal(Ca.Certificate.Subject, leaf.Issuer);
        Assert.False(Ca.Issued(leaf, TestAuthorities.Start));
    }

    [Fact]
    public void Issued_SelfSignedCertificate_IsFalse()
    {
        using var key = RSA.Create(2048);
        using var self = new CertificateRequest("CN=device", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1)
            .CreateSelfSigned(TestAuthorities.Start.AddDays(-1), TestAuthorities.Start.AddDays(1));
        Assert.False(Ca.Issued(self, TestAuthorities.Start));
    }

    [Fact]
    public void Issued_ExpiredOrNotYetValid_IsFalse()
    {
        var leaf = Ca.IssueDeviceIdentity("device").Certificate;
        Assert.False(Ca.Issued(leaf, new DateTimeOffset(leaf.NotAfter.ToUniversalTime()).AddSeconds(1)));
        Assert.False(Ca.Issued(leaf, new DateTimeOffset(leaf.NotBefore.ToUniversalTime()).AddSeconds(-1)));
    }

    [Fact]
    public void Issued_TamperedCertificate_IsFalse()
    {
        var der = Ca.IssueDeviceIdentity("device-a").Certificate.RawData;
        // The subject's common name sits inside the signed part: renaming the device breaks the CA's signature.
        var at = der.AsSpan().IndexOf("device-a"u8);
        der[at + 7] = (byte)'b';
        using var tampered = X509CertificateLoader.LoadCertificate(der);
        Assert.Equal("CN=device-b", tampered.Subject);
        Assert.False(Ca.Issued(tampered, TestAuthorities.Start));
    }
}

/// <summary>Where the CA is kept: one per deployment, encrypted in the shared database, on every backend.</summary>
public abstract class CertificateAuthorityStorageContract(StorageBackend backend) : IAsyncLifetime
{
    private readonly FakeTimeProvider _clock = new(TestAuthorities.Start);
    private readonly SecretProtector _secrets = new(new EphemeralDataProtectionProvider());
    private TestDatabase _database = null!;

    public async ValueTask InitializeAsync() => _database = await backend.CreateDatabaseAsync();

    public async ValueTask DisposeAsync() => await _database.DisposeAsync();

    private async Task<DeviceCertificateAuthority> LoadOrCreateAsync(LatchDbContext? db = null, SecretProtector? secrets = null)
    {
        if (db is not null) return await DeviceCertificateAuthority.LoadOrCreateAsync(db, secrets ?? _secrets, _clock);
        await using var context = _database.NewContext();
        return await DeviceCertificateAuthority.LoadOrCreateAsync(context, secrets ?? _secrets, _clock);
    }

    private async Task<List<StoredSecret>> StoredAsync()
    {
        await using var db = _database.NewContext();
        return await db.StoredSecrets.AsNoTracking().ToListAsync();
    }

    [Fact]
    public async Task FirstStart_CreatesTheCa_LaterStartsLoadTheSameOne_WithAWorkingKey()
    {
        using var created = await LoadOrCreateAsync();
        using var loaded = await LoadOrCreateAsync();

        Assert.Equal(created.Certificate.RawData, loaded.Certificate.RawData);
        var secret = Assert.Single(await StoredAsync());
        Assert.Equal(DeviceCertificateAuthority.SecretName, secret.Name);
        Assert.Equal(TestAuthorities.Start, secret.CreatedAt);

        // The reloaded key signs what the first instance recognises, and the other way round.
        var fromLoaded = loaded.IssueDeviceIdentity("device").Certificate;
        Assert.True(created.Issued(fromLoaded, TestAuthorities.Start));
        Assert.True(TestAuthorities.ChainsTo(fromLoaded, created.Certificate, TestAuthorities.Start));
        Assert.True(loaded.Issued(created.IssueDeviceIdentity("device").Certificate, TestAuthorities.Start));
    }

    [Fact]
    public async Task StoredCa_IsEncryptedAtRest_AndNeedsTheKeyRing()
    {
        using var ca = await LoadOrCreateAsync();
        var stored = Assert.Single(await StoredAsync()).ProtectedValue;

        Assert.False(ReadsAsPkcs12(stored));
        Assert.DoesNotContain(Convert.ToBase64String(ca.Certificate.RawData)[..40], stored, StringComparison.Ordinal);

        // Decrypted with the key ring, it is the CA with its private key.
        using var opened = X509CertificateLoader.LoadPkcs12(Convert.FromBase64String(_secrets.Unprotect(stored)), null);
        Assert.Equal(ca.Certificate.RawData, opened.RawData);
        Assert.True(opened.HasPrivateKey);

        // A server with another key ring can neither read it nor quietly replace it.
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() =>
            LoadOrCreateAsync(secrets: new SecretProtector(new EphemeralDataProtectionProvider())));
        Assert.Contains("key ring", error.Message, StringComparison.Ordinal);
        Assert.Equal(stored, Assert.Single(await StoredAsync()).ProtectedValue);
    }

    [Fact]
    public async Task TwoServersStartingAtOnce_EndWithOneCa()
    {
        var results = await Task.WhenAll(Task.Run(() => LoadOrCreateAsync()), Task.Run(() => LoadOrCreateAsync()));
        try
        {
            Assert.Equal(results[0].Certificate.RawData, results[1].Certificate.RawData);
            Assert.Single(await StoredAsync());
        }
        finally
        {
            foreach (var ca in results) ca.Dispose();
        }
    }

    [Fact]
    public async Task ServerThatLosesTheRace_UsesTheWinnersCa()
    {
        // Server A reads "no CA", creates one, and just before it inserts, server B does the whole thing.
        DeviceCertificateAuthority? winner = null;
        var options = new DbContextOptionsBuilder<LatchDbContext>();
        _database.Configure(options);
        options.AddInterceptors(new BeforeFirstSave(async () => winner = await LoadOrCreateAsync()));
        await using var db = new LatchDbContext(options.Options);

        using var loser = await LoadOrCreateAsync(db);

        Assert.NotNull(winner);
        Assert.Equal(winner.Certificate.RawData, loser.Certificate.RawData);
        Assert.Single(await StoredAsync());
        Assert.True(winner.Issued(loser.IssueDeviceIdentity("device").Certificate, TestAuthorities.Start));
        winner.Dispose();
    }

    private static bool ReadsAsPkcs12(string value)
    {
        foreach (var text in new[] { value, value.Replace('-', '+').Replace('_', '/') })
        {
            try
            {
                using var certificate = X509CertificateLoader.LoadPkcs12(Convert.FromBase64String(text.PadRight((text.Length + 3) / 4 * 4, '=')), null);
                return true;
            }
            catch (Exception e) when (e is FormatException or CryptographicException)
            {
            }
        }

        return false;
    }

    private sealed class BeforeFirstSave(Func<Task> action) : SaveChangesInterceptor
    {
        private bool _done;

        public override async ValueTask<InterceptionResult<int>> SavingChangesAsync(
            DbContextEventData eventData, InterceptionResult<int> result, CancellationToken cancellationToken = default)
        {
            if (!_done)
            {
                _done = true;
                await action();
            }

            return result;
        }
    }
}

public sealed class CertificateAuthorityOnSqlite() : CertificateAuthorityStorageContract(SqliteBackend.Instance);

public sealed class CertificateAuthorityOnPostgres() : CertificateAuthorityStorageContract(PostgresBackend.Instance);

public sealed class CertificateAuthorityInTheServerTests
{
    [Fact]
    public async Task Server_LoadsTheSameCaAfterARestart()
    {
        var settings = new Dictionary<string, string?> { ["Demo"] = "false" };
        var directory = Directory.CreateDirectory(Path.Combine(Path.GetTempPath(), "latch-server-tests", Guid.NewGuid().ToString("N"))).FullName;
        try
        {
            byte[] first;
            await using (var app = new LatchAppFactory(settings, services => services.AddDeviceCertificateAuthority(), directory))
            {
                app.CreateClient();
                var ca = app.Services.GetRequiredService<DeviceCertificateAuthority>();
                Assert.Same(ca, app.Services.GetRequiredService<DeviceCertificateAuthority>());
                first = ca.Certificate.RawData;
            }

            await using (var app = new LatchAppFactory(settings, services => services.AddDeviceCertificateAuthority(), directory))
            {
                app.CreateClient();
                var ca = app.Services.GetRequiredService<DeviceCertificateAuthority>();
                Assert.Equal(first, ca.Certificate.RawData);
                Assert.True(ca.Issued(ca.IssueDeviceIdentity("device", DeviceKeyAlgorithm.EcdsaP256).Certificate, DateTimeOffset.UtcNow));
            }
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            try { Directory.Delete(directory, recursive: true); } catch (IOException) { }
        }
    }
}
