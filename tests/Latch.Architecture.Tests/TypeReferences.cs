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
        // Every four bytes that make a token of a type, member or method spec and resolve in this module; a window that is
        // not really an operand almost never resolves, and one that did would show as a use here, never hide one.
        for (var i = 0; i + 4 <= il.Length; i++)
        {
            var token = BitConverter.ToInt32(il, i);
            var table = (uint)token >> 24;
            if (table is not (0x01 or 0x02 or 0x04 or 0x06 or 0x0A or 0x1B or 0x2B)) continue;
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
