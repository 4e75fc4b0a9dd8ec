using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;

namespace Latch.Protocols.Android;

/// <summary>A decoded agent message and the bytes it was decoded from.</summary>
public sealed record AndroidMessage<T>(T Body, ReadOnlyMemory<byte> Raw);

/// <summary>The agent protocol's JSON: source-generated, camelCase as declared, unknown fields refused, no comments or trailing commas.</summary>
[JsonSourceGenerationOptions(
    UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    RespectNullableAnnotations = true,
    RespectRequiredConstructorParameters = true,
    MaxDepth = 16)]
[JsonSerializable(typeof(EnrollRequest))]
[JsonSerializable(typeof(EnrollResponse))]
[JsonSerializable(typeof(CheckinRequest))]
[JsonSerializable(typeof(CommandsResponse))]
[JsonSerializable(typeof(ResultsRequest))]
[JsonSerializable(typeof(ResultsResponse))]
[JsonSerializable(typeof(AndroidErrorResponse))]
public sealed partial class AndroidJsonContext : JsonSerializerContext;

public static class AndroidJson
{
    /// <summary>The largest body an agent may send (a results batch of a few hundred commands fits easily).</summary>
    public const int MaxBodyBytes = 64 * 1024;

    public static AndroidMessage<EnrollRequest> DecodeEnroll(ReadOnlyMemory<byte> raw) => Decode(raw, AndroidJsonContext.Default.EnrollRequest);
    public static AndroidMessage<CheckinRequest> DecodeCheckin(ReadOnlyMemory<byte> raw) => Decode(raw, AndroidJsonContext.Default.CheckinRequest);
    public static AndroidMessage<ResultsRequest> DecodeResults(ReadOnlyMemory<byte> raw) => Decode(raw, AndroidJsonContext.Default.ResultsRequest);
    public static AndroidMessage<EnrollResponse> DecodeEnrollResponse(ReadOnlyMemory<byte> raw) => Decode(raw, AndroidJsonContext.Default.EnrollResponse);
    public static AndroidMessage<CommandsResponse> DecodeCommands(ReadOnlyMemory<byte> raw) => Decode(raw, AndroidJsonContext.Default.CommandsResponse);
    public static AndroidMessage<ResultsResponse> DecodeResultsResponse(ReadOnlyMemory<byte> raw) => Decode(raw, AndroidJsonContext.Default.ResultsResponse);
    public static AndroidMessage<AndroidErrorResponse> DecodeError(ReadOnlyMemory<byte> raw) => Decode(raw, AndroidJsonContext.Default.AndroidErrorResponse);

    public static byte[] Encode<T>(T message, JsonTypeInfo<T> type) => JsonSerializer.SerializeToUtf8Bytes(message, type);

    public static byte[] Error(string code, string message) =>
        Encode(new AndroidErrorResponse { Error = new AndroidError { Code = code, Message = message } }, AndroidJsonContext.Default.AndroidErrorResponse);

    /// <exception cref="AndroidFormatException">Not JSON, too large, a field missing, null where it may not be, or one the protocol does not define.</exception>
    public static AndroidMessage<T> Decode<T>(ReadOnlyMemory<byte> raw, JsonTypeInfo<T> type)
    {
        if (raw.Length > MaxBodyBytes) throw new AndroidFormatException($"The body is {raw.Length} bytes; at most {MaxBodyBytes} are allowed.");
        try
        {
            var body = JsonSerializer.Deserialize(raw.Span, type)
                       ?? throw new AndroidFormatException("The body is JSON null; an object is expected.");
            Validate(body);
            return new AndroidMessage<T>(body, raw);
        }
        catch (JsonException exception)
        {
            // The message names the field and position but never echoes the value (it may be a code or a passcode).
            throw new AndroidFormatException($"The body is not a valid message: {Describe(exception)}", exception);
        }
    }

    private static string Describe(JsonException exception) =>
        exception.Path is { } path ? $"{FirstSentence(exception.Message)} (at {path})" : FirstSentence(exception.Message);

    private static string FirstSentence(string text)
    {
        var end = text.IndexOf(". ", StringComparison.Ordinal);
        return end > 0 ? text[..(end + 1)] : text;
    }

    // What JSON's types alone cannot say.
    private static void Validate<T>(T body)
    {
        switch (body)
        {
            case EnrollRequest enroll: Validate(enroll.Facts); break;
            case CheckinRequest checkin: Validate(checkin.Facts); break;
            case ResultsRequest results:
                if (results.Results.Count is 0 or > 500) throw new AndroidFormatException("results holds between 1 and 500 results.");
                foreach (var result in results.Results)
                {
                    if (!Guid.TryParse(result.CommandId, out _)) throw new AndroidFormatException("A result's commandId is not a command id.");
                    if (result.State == CommandResultState.Failed && result.ErrorCode is null)
                        throw new AndroidFormatException("A FAILED result needs an errorCode.");
                }
                break;
        }
    }

    private static void Validate(AndroidFacts facts)
    {
        if (facts.ApiLevel is < 1 or > 1000) throw new AndroidFormatException("facts.apiLevel is not an Android API level.");
        if (facts.AndroidVersion.Length is 0 or > 32) throw new AndroidFormatException("facts.androidVersion is empty or too long.");
        if (facts.PushToken is { Length: > 4096 }) throw new AndroidFormatException("facts.pushToken is too long.");
    }
}
