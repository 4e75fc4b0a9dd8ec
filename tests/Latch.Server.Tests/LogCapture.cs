using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Latch.Server.Tests;

/// <summary>Every log line a component writes, at every level: for tests that a secret never reaches a log, or that a warning does.</summary>
public sealed class LogCapture : ILoggerProvider
{
    /// <summary>Each line's formatted message (and its exception, if any).</summary>
    public ConcurrentQueue<string> Messages { get; } = new();

    /// <summary>Each line with its category, level, raw state and scopes too: what any log sink could see.</summary>
    public ConcurrentQueue<string> Everything { get; } = new();

    public ILogger CreateLogger(string categoryName) => new Logger(categoryName, this);

    public void Dispose() { }

    private sealed class Logger(string category, LogCapture capture) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull
        {
            capture.Everything.Enqueue($"{category} scope: {state}");
            return null;
        }

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var message = formatter(state, exception);
            capture.Messages.Enqueue(message + (exception is null ? "" : " " + exception));
            capture.Everything.Enqueue($"{category} {logLevel}: {message} {state} {exception}");
        }
    }
}
