using System.Text.Json.Serialization;

namespace Latch.Protocols.Android;

// Latch's Android agent protocol, version 1 (docs/android-agent-protocol.md). There is no public on-premises Android
// MDM protocol, so the wire vocabulary is borrowed from Google's Android Management API where it fits
// (https://developers.google.com/android/management/reference/rest): LOCK, RESET_PASSWORD, newPassword,
// managementMode, apiLevel and its error codes. Every message refuses fields it does not define.

/// <summary>How the agent manages the device (AMAPI <c>managementMode</c>, narrowed to what the agent can be).</summary>
[JsonConverter(typeof(JsonStringEnumConverter<ManagementMode>))]
public enum ManagementMode
{
    /// <summary>The agent is a device administrator (DevicePolicyManager without a profile): Latch's "Android".</summary>
    [JsonStringEnumMemberName("DEVICE_ADMIN")] DeviceAdmin,

    /// <summary>The agent owns a managed work profile: Latch's "Android for Work".</summary>
    [JsonStringEnumMemberName("WORK_PROFILE")] WorkProfile,
}

/// <summary>What the agent says about the device at enrolment and at every check-in. All fields are required but the identifiers.</summary>
public sealed record AndroidFacts
{
    /// <summary><c>Build.VERSION.RELEASE</c>, e.g. "6.0.1".</summary>
    [JsonPropertyName("androidVersion")] public required string AndroidVersion { get; init; }

    /// <summary><c>Build.VERSION.SDK_INT</c>, e.g. 23 for Android 6.0.</summary>
    [JsonPropertyName("apiLevel")] public required int ApiLevel { get; init; }

    [JsonPropertyName("managementMode")] public required ManagementMode ManagementMode { get; init; }

    /// <summary><c>KeyguardManager.isDeviceSecure()</c>: a PIN, pattern or password is set.</summary>
    [JsonPropertyName("passcodeSet")] public required bool PasscodeSet { get; init; }

    [JsonPropertyName("model")] public string? Model { get; init; }
    [JsonPropertyName("manufacturer")] public string? Manufacturer { get; init; }
    [JsonPropertyName("serial")] public string? Serial { get; init; }
    [JsonPropertyName("imei")] public string? Imei { get; init; }

    /// <summary>The FCM registration token, when the agent has one; null when it only long-polls.</summary>
    [JsonPropertyName("pushToken")] public string? PushToken { get; init; }
}

/// <summary><c>POST /mdm/android/v1/enroll</c>: the user's name and the single-use enrolment code they typed.</summary>
public sealed record EnrollRequest
{
    [JsonPropertyName("userPrincipalName")] public required string UserPrincipalName { get; init; }
    [JsonPropertyName("enrollmentCode")] public required string EnrollmentCode { get; init; }
    [JsonPropertyName("facts")] public required AndroidFacts Facts { get; init; }
}

/// <summary>The enrolment's answer: the device's own bearer token, shown this once (Latch keeps only its hash).</summary>
public sealed record EnrollResponse
{
    [JsonPropertyName("deviceId")] public required string DeviceId { get; init; }
    [JsonPropertyName("deviceToken")] public required string DeviceToken { get; init; }

    /// <summary>How long the server holds a command poll at most; the agent's read timeout must be longer.</summary>
    [JsonPropertyName("pollTimeoutSeconds")] public required int PollTimeoutSeconds { get; init; }

    /// <summary>How often the agent checks in with fresh facts.</summary>
    [JsonPropertyName("checkinIntervalSeconds")] public required int CheckinIntervalSeconds { get; init; }
}

/// <summary><c>POST /mdm/android/v1/checkin</c>: fresh facts. Answered 204.</summary>
public sealed record CheckinRequest
{
    [JsonPropertyName("facts")] public required AndroidFacts Facts { get; init; }
}

/// <summary>A command type (AMAPI <c>Command.type</c>).</summary>
[JsonConverter(typeof(JsonStringEnumConverter<AndroidCommandType>))]
public enum AndroidCommandType
{
    [JsonStringEnumMemberName("LOCK")] Lock,
    [JsonStringEnumMemberName("RESET_PASSWORD")] ResetPassword,
}

/// <summary>One command for the device.</summary>
public sealed record AndroidCommand
{
    /// <summary>The command's id; its result names it. A command delivered twice has the same id: apply it once.</summary>
    [JsonPropertyName("commandId")] public required string CommandId { get; init; }

    [JsonPropertyName("type")] public required AndroidCommandType Type { get; init; }

    /// <summary>RESET_PASSWORD only: the numeric temporary passcode to set (AMAPI <c>newPassword</c>). Never log it.</summary>
    [JsonPropertyName("newPassword")] public string? NewPassword { get; init; }

    // A record prints every property; this one must never print the passcode.
    private bool PrintMembers(System.Text.StringBuilder builder)
    {
        builder.Append($"CommandId = {CommandId}, Type = {Type}, NewPassword = {(NewPassword is null ? "none" : "(withheld)")}");
        return true;
    }
}

/// <summary><c>GET /mdm/android/v1/commands</c>: the device's next commands, or none once the poll timed out.</summary>
public sealed record CommandsResponse
{
    [JsonPropertyName("commands")] public required IReadOnlyList<AndroidCommand> Commands { get; init; }

    /// <summary>The hold the server will apply to the next poll.</summary>
    [JsonPropertyName("pollTimeoutSeconds")] public required int PollTimeoutSeconds { get; init; }
}

/// <summary>A command's outcome on the device.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<CommandResultState>))]
public enum CommandResultState
{
    [JsonStringEnumMemberName("DONE")] Done,
    [JsonStringEnumMemberName("FAILED")] Failed,
}

/// <summary>Why a command failed (AMAPI <c>CommandErrorCode</c> / <c>NonComplianceReason</c> vocabulary).</summary>
[JsonConverter(typeof(JsonStringEnumConverter<CommandErrorCode>))]
public enum CommandErrorCode
{
    /// <summary>The device's API level does not allow it (resetPassword on Android 7.0+ for a device administrator).</summary>
    [JsonStringEnumMemberName("API_LEVEL")] ApiLevel,

    /// <summary>The management mode does not allow it.</summary>
    [JsonStringEnumMemberName("MANAGEMENT_MODE")] ManagementMode,

    /// <summary>The command's value was refused (a password the device's quality rules reject).</summary>
    [JsonStringEnumMemberName("INVALID_VALUE")] InvalidValue,

    /// <summary>The agent does not support the command, or the device's state forbids it (LOCK with no passcode set).</summary>
    [JsonStringEnumMemberName("UNSUPPORTED")] Unsupported,

    [JsonStringEnumMemberName("UNKNOWN")] Unknown,
}

public sealed record CommandResult
{
    [JsonPropertyName("commandId")] public required string CommandId { get; init; }
    [JsonPropertyName("state")] public required CommandResultState State { get; init; }
    [JsonPropertyName("errorCode")] public CommandErrorCode? ErrorCode { get; init; }

    /// <summary>A sentence for the administrator, when the command failed.</summary>
    [JsonPropertyName("errorMessage")] public string? ErrorMessage { get; init; }
}

/// <summary><c>POST /mdm/android/v1/results</c>: several results at once.</summary>
public sealed record ResultsRequest
{
    [JsonPropertyName("results")] public required IReadOnlyList<CommandResult> Results { get; init; }
}

/// <summary>What the server did with each result, in the order sent.</summary>
public sealed record ResultsResponse
{
    [JsonPropertyName("accepted")] public required int Accepted { get; init; }
}

/// <summary>The one error body of every agent endpoint: <c>{"error":{"code","message"}}</c>.</summary>
public sealed record AndroidErrorResponse
{
    [JsonPropertyName("error")] public required AndroidError Error { get; init; }
}

public sealed record AndroidError
{
    /// <summary>One of <see cref="AndroidErrorCodes"/>.</summary>
    [JsonPropertyName("code")] public required string Code { get; init; }

    [JsonPropertyName("message")] public required string Message { get; init; }
}

/// <summary>The error codes of the error body (HTTP status in brackets).</summary>
public static class AndroidErrorCodes
{
    /// <summary>[400] The body is not JSON, misses a required field, or has a field the protocol does not define.</summary>
    public const string InvalidArgument = "INVALID_ARGUMENT";

    /// <summary>[401] No token, or one Latch does not know (never issued, replaced by a re-enrolment, or unenrolled): enrol again.</summary>
    public const string Unauthenticated = "UNAUTHENTICATED";

    /// <summary>[403] The enrolment code or user name is wrong, used or expired; or the device is another user's.</summary>
    public const string PermissionDenied = "PERMISSION_DENIED";

    /// <summary>[409] A result names a command that is not this device's, or one already reported.</summary>
    public const string FailedPrecondition = "FAILED_PRECONDITION";

    /// <summary>[413] The body is larger than the protocol allows.</summary>
    public const string TooLarge = "PAYLOAD_TOO_LARGE";

    /// <summary>[415] The body is not <c>application/json</c>.</summary>
    public const string UnsupportedMediaType = "UNSUPPORTED_MEDIA_TYPE";
}
