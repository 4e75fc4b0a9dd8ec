using System.Threading.Channels;
using Latch.Core.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Latch.Server.Apple.Push;

/// <summary>How many pushes ended how, since start. <c>Failed</c> gave up after every retry; <c>Refused</c> was not retried.</summary>
public readonly record struct ApplePushCounters(
    long Sent, long Invalid, long Refused, long Failed, long Retried, long Coalesced, long Dropped);

/// <summary>
/// Sends wake-ups in the background so that no request waits for Apple. A push is only a hint — the command is already
/// queued and the device fetches it at its next check-in anyway — so a full queue drops pushes rather than blocking,
/// and a token already waiting is pushed once. Retries back off exponentially with jitter; a token APNs calls dead is
/// marked on its enrolment (<c>PushTokenInvalidAt</c>), and callers stop choosing it until the device sends a new one.
/// </summary>
public sealed partial class ApplePushDispatcher : BackgroundService
{
    private readonly ApnsClient _apns;
    private readonly IServiceScopeFactory _scopes;
    private readonly TimeProvider _clock;
    private readonly ApnsOptions _options;
    private readonly ILogger<ApplePushDispatcher> _logger;
    private readonly Channel<string> _queue;

    // Tokens waiting in the queue and what to push to each; the queue carries only the token, so a second Enqueue of a
    // waiting token just updates its entry. Every queued token has exactly one entry here, guarded by _gate.
    private readonly Dictionary<string, ApplePushTarget> _waiting = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();
    private int _outstanding;
    private TaskCompletionSource? _idle;

    private long _sent, _invalid, _refused, _failed, _retried, _coalesced, _dropped;

    public ApplePushDispatcher(
        ApnsClient apns, IServiceScopeFactory scopes, TimeProvider clock, IOptions<ApnsOptions> options, ILogger<ApplePushDispatcher> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        _apns = apns;
        _scopes = scopes;
        _clock = clock;
        _options = options.Value;
        _logger = logger;
        _queue = Channel.CreateBounded<string>(new BoundedChannelOptions(_options.QueueCapacity)
        {
            FullMode = BoundedChannelFullMode.Wait, // TryWrite answers false when full: Enqueue never blocks
            SingleReader = false,
            SingleWriter = false,
        });
    }

    /// <summary>False when no push certificate is configured: <see cref="Enqueue"/> accepts nothing.</summary>
    public bool IsEnabled => _apns.IsEnabled;

    public ApplePushCounters Counters => new(
        Interlocked.Read(ref _sent), Interlocked.Read(ref _invalid), Interlocked.Read(ref _refused), Interlocked.Read(ref _failed),
        Interlocked.Read(ref _retried), Interlocked.Read(ref _coalesced), Interlocked.Read(ref _dropped));

    /// <summary>
    /// Queues a wake-up and returns at once. True when it is queued (or merged into one already waiting for the same
    /// token); false when pushes are off, the target is malformed, or the queue is full.
    /// </summary>
    public bool Enqueue(ApplePushTarget target)
    {
        ArgumentNullException.ThrowIfNull(target);
        if (!_apns.IsEnabled) return false;
        if (ApnsClient.ProblemWith(target) is { } problem)
        {
            Interlocked.Increment(ref _dropped);
            LogMalformedTarget(ApnsClient.Abbreviate(target.DeviceToken ?? ""), problem);
            return false;
        }

        var token = target.DeviceToken.ToLowerInvariant();
        target = target with { DeviceToken = token };
        long dropped;
        lock (_gate)
        {
            if (_waiting.ContainsKey(token))
            {
                _waiting[token] = target; // the newest PushMagic and topic win
                Interlocked.Increment(ref _coalesced);
                return true;
            }
            if (_queue.Writer.TryWrite(token))
            {
                _waiting[token] = target;
                _outstanding++;
                return true;
            }
            dropped = Interlocked.Increment(ref _dropped);
        }
        if (dropped == 1 || dropped % 1000 == 0) LogQueueFull(_options.QueueCapacity, dropped);
        return false;
    }

    /// <summary>Completes when every queued push has ended (sent, dead, refused or given up). For tests and benchmarks.</summary>
    public Task WhenIdleAsync(CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            if (_outstanding == 0) return Task.CompletedTask;
            _idle ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            return _idle.Task.WaitAsync(cancellationToken);
        }
    }

    /// <summary>Says once, as the host starts, whether pushes are on; then the senders start in the background.</summary>
    public override Task StartAsync(CancellationToken cancellationToken)
    {
        if (!_apns.IsEnabled)
        {
            LogPushesOff();
            return Task.CompletedTask;
        }
        LogPushesOn(_apns.Topic, _apns.BaseAddress, _apns.CertificateNotAfter);
        if (_apns.CertificateNotAfter < _clock.GetUtcNow()) LogCertificateExpired(_apns.CertificateNotAfter);
        return base.StartAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await Task.WhenAll(Enumerable.Range(0, _options.MaxConcurrentPushes).Select(_ => WorkAsync(stoppingToken)));
    }

    private async Task WorkAsync(CancellationToken stoppingToken)
    {
        try
        {
            await foreach (var token in _queue.Reader.ReadAllAsync(stoppingToken))
            {
                ApplePushTarget target;
                lock (_gate) _waiting.Remove(token, out target!);
                try
                {
                    await DeliverAsync(target, stoppingToken);
                }
                catch (Exception exception) when (exception is not OperationCanceledException)
                {
                    Interlocked.Increment(ref _failed);
                    LogUnexpected(exception, ApnsClient.Abbreviate(token));
                }
                finally
                {
                    Ended();
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping: what is still queued is dropped; the devices get their commands at their next check-in.
        }
    }

    private async Task DeliverAsync(ApplePushTarget target, CancellationToken stoppingToken)
    {
        var token = ApnsClient.Abbreviate(target.DeviceToken);
        for (var attempt = 1; ; attempt++)
        {
            var result = await _apns.PushAsync(target, stoppingToken);
            switch (result.Outcome)
            {
                case PushOutcome.Sent:
                    Interlocked.Increment(ref _sent);
                    return;
                case PushOutcome.TokenInvalid:
                    Interlocked.Increment(ref _invalid);
                    LogTokenInvalid(token, result.Reason);
                    await MarkTokenInvalidAsync(target.DeviceToken, stoppingToken);
                    return;
                case PushOutcome.RetryLater when attempt < _options.MaxAttempts:
                    Interlocked.Increment(ref _retried);
                    LogRetrying(token, attempt, result.Reason);
                    await Task.Delay(Backoff(attempt), _clock, stoppingToken);
                    continue;
                case PushOutcome.RetryLater:
                    Interlocked.Increment(ref _failed);
                    LogGaveUp(token, attempt, result.Reason);
                    return;
                case PushOutcome.Disabled:
                    return;
                default:
                    Interlocked.Increment(ref _refused);
                    LogRefused(token, result.Status, result.Reason);
                    return;
            }
        }
    }

    // Exponential, capped, with "equal jitter": between half and all of the step, so that many tokens refused together
    // do not come back together.
    private TimeSpan Backoff(int attempt)
    {
        var step = _options.RetryBaseDelay * Math.Pow(2, Math.Min(attempt - 1, 30));
        if (step > _options.RetryMaxDelay) step = _options.RetryMaxDelay;
        return step * (0.5 + Random.Shared.NextDouble() / 2);
    }

    private async Task MarkTokenInvalidAsync(string deviceToken, CancellationToken stoppingToken)
    {
        try
        {
            await using var scope = _scopes.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<LatchDbContext>();
            DateTimeOffset? now = _clock.GetUtcNow();
            await db.AppleEnrollments
                .Where(e => e.PushToken == deviceToken && e.PushTokenInvalidAt == null)
                .ExecuteUpdateAsync(set => set.SetProperty(e => e.PushTokenInvalidAt, now), stoppingToken);
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            // The token stays usable; the next push to it is refused again and marks it then.
            LogMarkFailed(exception, ApnsClient.Abbreviate(deviceToken));
        }
    }

    private void Ended()
    {
        lock (_gate)
        {
            if (--_outstanding > 0) return;
            _idle?.TrySetResult();
            _idle = null;
        }
    }

    [LoggerMessage(Level = LogLevel.Information,
        Message = "APNs pushes are off: no push certificate configured; devices get their commands at their next check-in.")]
    private partial void LogPushesOff();

    [LoggerMessage(Level = LogLevel.Information, Message = "APNs pushes on: topic {Topic} at {BaseAddress}; the push certificate expires {NotAfter:u}")]
    private partial void LogPushesOn(string topic, Uri baseAddress, DateTimeOffset? notAfter);

    [LoggerMessage(Level = LogLevel.Error, Message = "The APNs push certificate expired {NotAfter:u}: APNs will refuse every push until it is renewed")]
    private partial void LogCertificateExpired(DateTimeOffset? notAfter);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Not pushing to device token {Token}: {Problem}")]
    private partial void LogMalformedTarget(string token, string problem);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The APNs queue is full ({Capacity}); {Dropped} push(es) dropped so far. The devices get their commands at their next check-in")]
    private partial void LogQueueFull(int capacity, long dropped);

    [LoggerMessage(Level = LogLevel.Information, Message = "APNs says device token {Token} is no longer valid ({Reason}); marking it so")]
    private partial void LogTokenInvalid(string token, string? reason);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Push to device token {Token} failed on attempt {Attempt} ({Reason}); retrying")]
    private partial void LogRetrying(string token, int attempt, string? reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Gave up pushing to device token {Token} after {Attempts} attempt(s): {Reason}")]
    private partial void LogGaveUp(string token, int attempts, string? reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "APNs refused the push to device token {Token} (status {Status}): {Reason}")]
    private partial void LogRefused(string token, int? status, string? reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "Pushing to device token {Token} failed unexpectedly")]
    private partial void LogUnexpected(Exception exception, string token);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not mark device token {Token} as no longer valid")]
    private partial void LogMarkFailed(Exception exception, string token);
}
