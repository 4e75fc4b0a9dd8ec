using CsCheck;
using Latch.Protocols.Windows;

namespace Latch.Protocols.Tests.Windows;

public sealed class SyncMlRoundTripTests
{
    // Characters that stress escaping and normalisation: markup, CR/LF/tab, non-ASCII, a surrogate pair.
    private static readonly Gen<string> Text = Gen.OneOf(
        Gen.Char["abcXYZ019 <>&\"'\r\n\t;é€]/."].Array[0, 12].Select(a => new string(a)),
        Gen.Const("😀 ]]> &amp; <![CDATA[x]]>"));

    // Identifiers and codes lose surrounding whitespace when decoded, by design.
    private static readonly Gen<string> Trimmed = Text.Select(s => s.Trim());

    private static readonly Gen<string> Id = Gen.Char["0123456789abcdef-"].Array[1, 6].Select(a => new string(a));

    private static readonly Gen<string?> OptionalTrimmed = Trimmed.Null();

    private static readonly Gen<SyncMeta?> Meta = Gen.Select(OptionalTrimmed, OptionalTrimmed, OptionalTrimmed, OptionalTrimmed, OptionalTrimmed, OptionalTrimmed,
        (format, type, maxMsg, maxObj, size, nonce) => new SyncMeta
        {
            Format = format, Type = type, MaxMsgSize = maxMsg, MaxObjSize = maxObj, Size = size, NextNonce = nonce,
        }).Null();

    // Markup as the decoder gives it back (XmlReader's own spelling: double quotes, "<b />").
    private static readonly Gen<string> Markup = Gen.OneOf(
        Gen.Const("<MsiInstallJob xmlns=\"urn:msi\" id=\"{A}\"><Product Version=\"1.0\">&amp;&lt;</Product></MsiInstallJob>"),
        Gen.Const(" <a xmlns=\"urn:x\"><b /></a>\n<c xmlns=\"urn:y\">t</c> "),
        Gen.Const("<x:Policy xmlns:x=\"urn:p\" x:v=\"1\" />"));

    private static readonly Gen<SyncItem> Item = Gen.OneOf(
        Gen.Select(OptionalTrimmed, OptionalTrimmed, Meta, Gen.Bool, Text, OptionalTrimmed, (target, source, meta, hasData, data, error) =>
            new SyncItem { Target = target, Source = source, Meta = meta, Data = hasData ? data : null, OriginalError = hasData ? error : null }),
        Gen.Select(OptionalTrimmed, Markup, (target, markup) => new SyncItem { Target = target, Data = markup, DataIsXml = true }));

    private static readonly Gen<IReadOnlyList<SyncItem>> Items = Item.Array[0, 3].Select(a => (IReadOnlyList<SyncItem>)a);

    private static readonly Gen<IReadOnlyList<string>> Refs = Trimmed.Array[0, 2].Select(a => (IReadOnlyList<string>)a);

    private static readonly Gen<SyncCommand> Status = Gen.Select(Id, Id, Id, Id, Text.Where(t => t.Length > 0), Gen.Select(Refs, Refs, Items, OptionalTrimmed, Meta, Gen.Bool,
        (targets, sources, items, error, chal, hasChal) => (targets, sources, items, error, chal: hasChal ? new SyncCred(chal, "") : null)),
        (id, msgRef, cmdRef, cmd, data, rest) => (SyncCommand)new SyncStatus
        {
            CmdId = id, MsgRef = msgRef, CmdRef = cmdRef, Cmd = cmd, Data = data, TargetRefs = rest.targets, SourceRefs = rest.sources,
            Items = rest.items, OriginalError = rest.error, Chal = rest.chal,
        });

    private static readonly Gen<SyncCommand> Results = Gen.Select(Id, Id, Gen.Bool, Meta, Refs, Items,
        (id, cmdRef, withRefs, meta, refs, items) => (SyncCommand)new SyncResults
        {
            CmdId = id, MsgRef = withRefs ? "1" : null, CmdRef = cmdRef, Cmd = withRefs ? "Get" : null, Meta = meta,
            TargetRefs = refs, SourceRefs = withRefs ? refs : [], Items = items,
        });

    private static readonly Gen<SyncCommand> Alert =
        Gen.Select(Id, Id, Items, (id, code, items) => (SyncCommand)new SyncAlert { CmdId = id, Data = code, Items = items });

    private static readonly Gen<SyncCommand> ItemCommand = Gen.Select(Gen.Int[0, 4], Id, Meta, Items, (kind, id, meta, items) => kind switch
    {
        0 => (SyncCommand)new SyncGet { CmdId = id, Meta = meta, Items = items },
        1 => new SyncReplace { CmdId = id, Meta = meta, Items = items },
        2 => new SyncAdd { CmdId = id, Meta = meta, Items = items },
        3 => new SyncDelete { CmdId = id, Meta = meta, Items = items },
        _ => new SyncExec { CmdId = id, Meta = meta, Items = items },
    });

    private static Gen<SyncCommand> Command(int depth) => depth == 0
        ? Gen.OneOf(Status, Results, Alert, ItemCommand)
        : Gen.OneOf(
            Status,
            Results,
            Alert,
            ItemCommand,
            Gen.Select(Gen.Bool, Id, Meta, Command(depth - 1).Array[0, 3], (atomic, id, meta, inner) => atomic
                ? (SyncCommand)new SyncAtomic { CmdId = id, Meta = meta, Commands = inner }
                : new SyncSequence { CmdId = id, Meta = meta, Commands = inner }));

    private static readonly Gen<SyncHeader> Header = Gen.Select(Id, Id, Id, Id, Text.Null(),
        Gen.Select(Meta, Text, Gen.Bool, (meta, data, has) => has ? new SyncCred(meta, data) : null), Meta,
        (session, msg, target, source, name, cred, meta) => new SyncHeader
        {
            SessionId = session, MsgId = msg, TargetLocUri = "https://mdm.example/" + target, SourceLocUri = source,
            SourceLocName = name, Cred = cred, Meta = meta,
        });

    private static readonly Gen<SyncMessage> Message = Gen.Select(Header, Command(3).Array[0, 5], Gen.Bool,
        (header, commands, final) => new SyncMessage { Header = header, Commands = commands, Final = final });

    [Fact]
    public void EncodeThenDecode_GivesTheSameMessage() =>
        Message.Sample(message =>
        {
            var encoded = message.Encode();
            var decoded = SyncMessage.Decode(encoded);
            var difference = SyncMlAssert.Difference(message, decoded);
            Assert.True(difference is null, $"{difference}\n{System.Text.Encoding.UTF8.GetString(encoded)}");
        }, iter: 1_000);
}
