namespace Latch.Protocols.Tests.Apple;

// Just enough of Apple's device-management YAML (github.com/apple/device-management) to check
// what we emit: payload.requesttype and the top-level payloadkeys list (key, type, presence).
internal sealed record AppleSchema(string RequestType, IReadOnlyList<AppleSchemaKey> PayloadKeys)
{
    public static AppleSchema Load(string name)
    {
        string? requestType = null;
        var keys = new List<AppleSchemaKey>();
        string? section = null;
        string? key = null, type = null, presence = null;

        void Flush()
        {
            if (key is not null)
            {
                keys.Add(new AppleSchemaKey(key, type ?? throw new InvalidDataException($"{key} has no type"), presence ?? "optional"));
            }

            key = type = presence = null;
        }

        foreach (var line in File.ReadLines(Path.Combine(Vectors.Directory, "schema", name)))
        {
            if (line.Length > 0 && !char.IsWhiteSpace(line[0]) && !line.StartsWith('-'))
            {
                Flush();
                section = line.Split(':')[0];
                continue;
            }

            if (section == "payload" && line.StartsWith("  requesttype:", StringComparison.Ordinal))
            {
                requestType = Value(line);
            }
            else if (section == "payloadkeys")
            {
                // Items of the top-level list start at column 0; their own fields are indented by two.
                if (line.StartsWith("- key:", StringComparison.Ordinal))
                {
                    Flush();
                    key = Value(line);
                }
                else if (line.StartsWith("  type:", StringComparison.Ordinal))
                {
                    type = Value(line);
                }
                else if (line.StartsWith("  presence:", StringComparison.Ordinal))
                {
                    presence = Value(line);
                }
            }
        }

        Flush();
        return new AppleSchema(requestType ?? throw new InvalidDataException("no payload.requesttype"), keys);
    }

    private static string Value(string line) => line[(line.IndexOf(':', StringComparison.Ordinal) + 1)..].Trim().Trim('\'', '"');
}

internal sealed record AppleSchemaKey(string Key, string Type, string Presence);
