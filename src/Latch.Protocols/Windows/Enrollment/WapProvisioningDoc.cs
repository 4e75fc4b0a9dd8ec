using System.Xml.Linq;
using static Latch.Protocols.Windows.Enrollment.EnrollmentXml;

namespace Latch.Protocols.Windows.Enrollment;

/// <summary>One OMA Client Provisioning parm: a CSP node's value, with the datatype Windows wants for non-strings.</summary>
public sealed record WapParm(string Name, string Value, string? DataType = null);

/// <summary>One characteristic: a CSP node (or a certificate thumbprint, or a provider ID) and what it holds.</summary>
public sealed record WapCharacteristic(string Type, IReadOnlyList<WapParm> Parms, IReadOnlyList<WapCharacteristic> Characteristics)
{
    public WapParm? Parm(string name) => Parms.FirstOrDefault(p => p.Name == name);

    public WapCharacteristic? Find(params string[] typePath) => WapProvisioningDoc.Find(Characteristics, typePath, 0);
}

/// <summary>
/// The wap-provisioningdoc an RSTR carries (MS-MDE2 §3.4.4.2, OMA Client Provisioning): characteristics of the
/// CertificateStore, w7 APPLICATION and DMClient CSPs. Generic, so the server builds it and the simulator reads it;
/// <see cref="WindowsProvisioning"/> knows the standard layout. Names are case-sensitive (the w7 CSP requires
/// upper case), so every comparison here is ordinal.
/// </summary>
public sealed record WapProvisioningDoc(string Version, IReadOnlyList<WapCharacteristic> Characteristics)
{
    /// <summary>Decodes the document text; anything other than characteristic and parm elements is refused.</summary>
    public static WapProvisioningDoc Decode(string xml)
    {
        var root = Load(xml, "a wap-provisioningdoc");
        if (root.Name != "wap-provisioningdoc")
        {
            throw new EnrollmentFormatException($"The root element must be <wap-provisioningdoc>, not <{Clip(root.Name.ToString())}>.");
        }

        var version = ((string?)root.Attribute("version"))?.Trim();
        if (string.IsNullOrEmpty(version))
        {
            throw new EnrollmentFormatException("<wap-provisioningdoc> has no version.");
        }

        var (parms, characteristics) = ReadChildren(root);
        if (parms.Count > 0)
        {
            throw new EnrollmentFormatException("<wap-provisioningdoc> may hold only characteristics, not parms.");
        }

        return new WapProvisioningDoc(version, characteristics);
    }

    public string Encode() => ToText(new XElement("wap-provisioningdoc", new XAttribute("version", Version), Characteristics.Select(Write)));

    /// <summary>
    /// The first characteristic at the end of <paramref name="typePath"/>, searching every branch (the Windows
    /// article's example repeats the top-level CertificateStore): Find("CertificateStore", "Root", "System").
    /// </summary>
    public WapCharacteristic? Find(params string[] typePath) => Find(Characteristics, typePath, 0);

    internal static WapCharacteristic? Find(IReadOnlyList<WapCharacteristic> characteristics, string[] typePath, int at)
    {
        if (at >= typePath.Length)
        {
            return null;
        }

        foreach (var candidate in characteristics.Where(c => c.Type == typePath[at]))
        {
            if (at == typePath.Length - 1)
            {
                return candidate;
            }

            if (Find(candidate.Characteristics, typePath, at + 1) is { } found)
            {
                return found;
            }
        }

        return null;
    }

    private static (List<WapParm> Parms, List<WapCharacteristic> Characteristics) ReadChildren(XElement element)
    {
        var parms = new List<WapParm>();
        var characteristics = new List<WapCharacteristic>();
        foreach (var child in element.Elements())
        {
            switch (child.Name.LocalName)
            {
                case "parm" when child.Name.Namespace == XNamespace.None:
                    var name = (string?)child.Attribute("name");
                    parms.Add(new WapParm(
                        string.IsNullOrEmpty(name) ? throw new EnrollmentFormatException($"A parm in '{Clip(Type(element))}' has no name.") : name,
                        (string?)child.Attribute("value") ?? "",
                        (string?)child.Attribute("datatype")));
                    break;
                case "characteristic" when child.Name.Namespace == XNamespace.None:
                    var type = (string?)child.Attribute("type");
                    if (string.IsNullOrEmpty(type))
                    {
                        throw new EnrollmentFormatException($"A characteristic in '{Clip(Type(element))}' has no type.");
                    }

                    var (innerParms, inner) = ReadChildren(child);
                    characteristics.Add(new WapCharacteristic(type, innerParms, inner));
                    break;
                default:
                    throw new EnrollmentFormatException($"<{Clip(child.Name.LocalName)}> is not supported in a wap-provisioningdoc (only characteristic and parm).");
            }
        }

        return (parms, characteristics);
    }

    private static string Type(XElement element) => (string?)element.Attribute("type") ?? element.Name.LocalName;

    private static XElement Write(WapCharacteristic characteristic) => new(
        "characteristic",
        new XAttribute("type", characteristic.Type),
        characteristic.Parms.Select(p => new XElement(
            "parm",
            new XAttribute("name", p.Name),
            p.Value.Length == 0 ? null : new XAttribute("value", p.Value),
            p.DataType is null ? null : new XAttribute("datatype", p.DataType))),
        characteristic.Characteristics.Select(Write));
}
