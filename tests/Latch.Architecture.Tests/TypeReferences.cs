using System.Reflection;

namespace Latch.Architecture.Tests;

/// <summary>
/// The types one of our types uses: in its signatures (base type, interfaces, fields, properties, method and constructor
/// parameters and results, generic arguments) and in its method bodies (locals, and every type, method and field an
/// instruction names). Instructions are read by their metadata tokens, so a type used only inside a lambda or an async
/// method counts for the compiler-made type that holds that code, whose namespace is its declaring type's.
/// </summary>
internal static class TypeReferences
{
    private const BindingFlags Everything = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static |
                                            BindingFlags.DeclaredOnly;

    public static IEnumerable<(Type User, Type Used)> Of(Assembly assembly) =>
        assembly.GetTypes().SelectMany(type => Used(type).Distinct().Select(used => (type, used)));

    private static IEnumerable<Type> Used(Type type)
    {
        if (type.BaseType is { } baseType) foreach (var t in Expand(baseType)) yield return t;
        foreach (var i in type.GetInterfaces()) foreach (var t in Expand(i)) yield return t;
        foreach (var field in type.GetFields(Everything)) foreach (var t in Expand(field.FieldType)) yield return t;
        foreach (var property in type.GetProperties(Everything)) foreach (var t in Expand(property.PropertyType)) yield return t;
        foreach (var method in type.GetMethods(Everything).Cast<MethodBase>().Concat(type.GetConstructors(Everything)))
        {
            if (method is MethodInfo info) foreach (var t in Expand(info.ReturnType)) yield return t;
            foreach (var parameter in method.GetParameters()) foreach (var t in Expand(parameter.ParameterType)) yield return t;
            foreach (var t in InBody(method)) yield return t;
        }
    }

    private static IEnumerable<Type> InBody(MethodBase method)
    {
        MethodBody? body;
        try { body = method.GetMethodBody(); }
        catch (Exception e) when (e is BadImageFormatException or InvalidOperationException) { yield break; }
        if (body is null) yield break;
        foreach (var local in body.LocalVariables) foreach (var t in Expand(local.LocalType)) yield return t;

        var il = body.GetILAsByteArray() ?? [];
        var module = method.Module;
        Type[]? typeArguments = method.DeclaringType?.IsGenericType == true ? method.DeclaringType.GetGenericArguments() : null;
        Type[]? methodArguments = method.IsGenericMethod ? method.GetGenericArguments() : null;
        // Walked instruction by instruction (a four-byte window slid over the bytes once "resolved" an immediate that was no
        // token at all): every operand that is a type, member, field or method token, resolved in this module.
        foreach (var token in Tokens(il))
        {
            MemberInfo? member;
            try { member = module.ResolveMember(token, typeArguments, methodArguments); }
            catch (Exception e) when (e is ArgumentException or BadImageFormatException or TypeLoadException or FileNotFoundException) { continue; }
            switch (member)
            {
                case Type t:
                    foreach (var u in Expand(t)) yield return u;
                    break;
                case FieldInfo f:
                    if (f.DeclaringType is { } fd) foreach (var u in Expand(fd)) yield return u;
                    foreach (var u in Expand(f.FieldType)) yield return u;
                    break;
                case MethodBase m:
                    if (m.DeclaringType is { } md) foreach (var u in Expand(md)) yield return u;
                    if (m.IsGenericMethod) foreach (var a in m.GetGenericArguments()) foreach (var u in Expand(a)) yield return u;
                    break;
            }
        }
    }

    private static readonly Dictionary<short, System.Reflection.Emit.OpCode> OpCodesByValue = typeof(System.Reflection.Emit.OpCodes)
        .GetFields(BindingFlags.Public | BindingFlags.Static).Select(f => (System.Reflection.Emit.OpCode)f.GetValue(null)!).ToDictionary(o => o.Value);

    // The metadata tokens the instructions of a method body name (ECMA-335 §III: one- and two-byte opcodes, then the operand).
    private static IEnumerable<int> Tokens(byte[] il)
    {
        for (var i = 0; i < il.Length;)
        {
            short value = il[i] == 0xFE && i + 1 < il.Length ? (short)(0xFE00 | il[i + 1]) : il[i];
            if (!OpCodesByValue.TryGetValue(value, out var opCode)) yield break; // not IL we know: stop rather than guess
            i += opCode.Size;
            switch (opCode.OperandType)
            {
                case System.Reflection.Emit.OperandType.InlineTok or System.Reflection.Emit.OperandType.InlineType
                    or System.Reflection.Emit.OperandType.InlineMethod or System.Reflection.Emit.OperandType.InlineField:
                    if (i + 4 <= il.Length) yield return BitConverter.ToInt32(il, i);
                    i += 4;
                    break;
                case System.Reflection.Emit.OperandType.InlineSwitch:
                    var count = i + 4 <= il.Length ? BitConverter.ToInt32(il, i) : 0;
                    i += 4 + 4 * count;
                    break;
                case System.Reflection.Emit.OperandType.InlineI8 or System.Reflection.Emit.OperandType.InlineR:
                    i += 8;
                    break;
                case System.Reflection.Emit.OperandType.InlineNone:
                    break;
                case System.Reflection.Emit.OperandType.ShortInlineBrTarget or System.Reflection.Emit.OperandType.ShortInlineI
                    or System.Reflection.Emit.OperandType.ShortInlineVar:
                    i += 1;
                    break;
                case System.Reflection.Emit.OperandType.InlineVar:
                    i += 2;
                    break;
                default: // InlineBrTarget, InlineI, InlineSig, InlineString, ShortInlineR
                    i += 4;
                    break;
            }
        }
    }

    // A constructed type uses its definition and its arguments; arrays, pointers and by-refs their element.
    private static IEnumerable<Type> Expand(Type type)
    {
        if (type.HasElementType) { foreach (var t in Expand(type.GetElementType()!)) yield return t; yield break; }
        if (type.IsGenericParameter) yield break;
        if (type.IsConstructedGenericType)
        {
            yield return type.GetGenericTypeDefinition();
            foreach (var argument in type.GetGenericArguments()) foreach (var t in Expand(argument)) yield return t;
            yield break;
        }
        yield return type;
    }
}
