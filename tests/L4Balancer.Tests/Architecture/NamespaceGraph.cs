using Mono.Cecil;
using Mono.Cecil.Cil;

namespace L4Balancer.Tests.Architecture;

/// <summary>
/// Which namespace of an assembly uses which, read from the compiled IL rather than from <c>using</c>
/// lines: a <c>using</c> can be stale, and a fully qualified name or a lambda's closure class hides a
/// dependency from a text search. Nested and compiler-generated types count for the namespace of the
/// type that declares them.
/// </summary>
internal sealed class NamespaceGraph
{
    private readonly Dictionary<string, Dictionary<string, string>> _edges = new(StringComparer.Ordinal);

    private NamespaceGraph(string rootNamespace) => RootNamespace = rootNamespace;

    public string RootNamespace { get; }

    public IEnumerable<string> Namespaces => _edges.Keys;

    public static NamespaceGraph Read(string assemblyPath, string rootNamespace)
    {
        var graph = new NamespaceGraph(rootNamespace);
        using var module = ModuleDefinition.ReadModule(assemblyPath);
        foreach (var type in module.GetTypes())
        {
            var from = graph.NamespaceOf(type);
            if (from is null)
            {
                continue;
            }

            graph._edges.TryAdd(from, new Dictionary<string, string>(StringComparer.Ordinal));
            foreach (var used in UsedTypes(type))
            {
                graph.Add(from, type, used);
            }
        }

        return graph;
    }

    /// <summary>The namespaces <paramref name="from"/> uses, each with one example of the use.</summary>
    public IReadOnlyDictionary<string, string> UsesOf(string from) =>
        _edges.TryGetValue(from, out var to) ? to : new Dictionary<string, string>();

    /// <summary>Every strongly connected set of two or more namespaces (Tarjan).</summary>
    public IReadOnlyList<IReadOnlyList<string>> Cycles()
    {
        var index = new Dictionary<string, int>(StringComparer.Ordinal);
        var low = new Dictionary<string, int>(StringComparer.Ordinal);
        var stack = new Stack<string>();
        var onStack = new HashSet<string>(StringComparer.Ordinal);
        var cycles = new List<IReadOnlyList<string>>();

        void Visit(string v)
        {
            index[v] = low[v] = index.Count;
            stack.Push(v);
            onStack.Add(v);
            foreach (var w in UsesOf(v).Keys)
            {
                if (!index.ContainsKey(w))
                {
                    Visit(w);
                    low[v] = Math.Min(low[v], low[w]);
                }
                else if (onStack.Contains(w))
                {
                    low[v] = Math.Min(low[v], index[w]);
                }
            }

            if (low[v] != index[v])
            {
                return;
            }

            var component = new List<string>();
            string popped;
            do
            {
                popped = stack.Pop();
                onStack.Remove(popped);
                component.Add(popped);
            }
            while (popped != v);
            if (component.Count > 1)
            {
                component.Sort(StringComparer.Ordinal);
                cycles.Add(component);
            }
        }

        foreach (var v in _edges.Keys.Order(StringComparer.Ordinal).ToList())
        {
            if (!index.ContainsKey(v))
            {
                Visit(v);
            }
        }

        return cycles;
    }

    private void Add(string from, TypeDefinition user, TypeReference? used)
    {
        foreach (var part in Flatten(used))
        {
            if (part.Scope is not ModuleDefinition || NamespaceOf(part) is not { } to || to == from)
            {
                continue;
            }

            _edges[from].TryAdd(to, $"{user.FullName} uses {part.FullName}");
        }
    }

    private string? NamespaceOf(TypeReference type)
    {
        while (type.DeclaringType is not null)
        {
            type = type.DeclaringType;
        }

        var ns = type.Namespace;
        return ns == RootNamespace || ns.StartsWith(RootNamespace + ".", StringComparison.Ordinal) ? ns : null;
    }

    /// <summary>A type and every type it is built from: element types, generic arguments.</summary>
    private static IEnumerable<TypeReference> Flatten(TypeReference? type)
    {
        if (type is null)
        {
            yield break;
        }

        switch (type)
        {
            case GenericInstanceType generic:
                foreach (var t in Flatten(generic.ElementType))
                {
                    yield return t;
                }

                foreach (var argument in generic.GenericArguments)
                {
                    foreach (var t in Flatten(argument))
                    {
                        yield return t;
                    }
                }

                yield break;
            case TypeSpecification specification:
                foreach (var t in Flatten(specification.ElementType))
                {
                    yield return t;
                }

                yield break;
            case GenericParameter:
                yield break;
            default:
                yield return type;
                yield break;
        }
    }

    private static IEnumerable<TypeReference?> UsedTypes(TypeDefinition type)
    {
        yield return type.BaseType;
        foreach (var i in type.Interfaces)
        {
            yield return i.InterfaceType;
        }

        foreach (var a in type.CustomAttributes)
        {
            yield return a.AttributeType;
        }

        foreach (var field in type.Fields)
        {
            yield return field.FieldType;
        }

        foreach (var property in type.Properties)
        {
            yield return property.PropertyType;
        }

        foreach (var e in type.Events)
        {
            yield return e.EventType;
        }

        foreach (var method in type.Methods)
        {
            yield return method.ReturnType;
            foreach (var p in method.Parameters)
            {
                yield return p.ParameterType;
            }

            foreach (var a in method.CustomAttributes)
            {
                yield return a.AttributeType;
            }

            if (!method.HasBody)
            {
                continue;
            }

            foreach (var local in method.Body.Variables)
            {
                yield return local.VariableType;
            }

            foreach (var instruction in method.Body.Instructions)
            {
                foreach (var t in OperandTypes(instruction))
                {
                    yield return t;
                }
            }
        }
    }

    private static IEnumerable<TypeReference?> OperandTypes(Instruction instruction)
    {
        switch (instruction.Operand)
        {
            case TypeReference t:
                yield return t;
                break;
            case MethodReference m:
                yield return m.DeclaringType;
                yield return m.ReturnType;
                foreach (var p in m.Parameters)
                {
                    yield return p.ParameterType;
                }

                if (m is GenericInstanceMethod g)
                {
                    foreach (var a in g.GenericArguments)
                    {
                        yield return a;
                    }
                }

                break;
            case FieldReference f:
                yield return f.DeclaringType;
                yield return f.FieldType;
                break;
        }
    }
}
