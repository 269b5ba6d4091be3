using System.IO.Enumeration;

namespace L4Balancer.Core.Config;

/// <summary>
/// Expands one <c>include</c> pattern: <c>*</c> and <c>?</c> in any path component (nginx's
/// <c>include</c> takes glob(3) patterns the same way), relative to the including file's directory
/// unless absolute. As glob(3), a wildcard does not match a leading dot (so an editor's
/// <c>.#acme.toml</c> lock link or a hidden file is never read), and a wildcard in the last component
/// matches only files, not directories. Matches are sorted by ordinal (byte) order, as
/// <c>LC_ALL=C ls</c>, so the order cannot depend on the locale.
/// </summary>
internal static class IncludeGlob
{
    /// <summary>A match: the path as messages show it, and the full path that is read.</summary>
    public readonly record struct Match(string Display, string FullPath);

    public static bool HasWildcard(string pattern) => pattern.AsSpan().IndexOfAny('*', '?') >= 0;

    /// <param name="displayDirectory">The including file's directory as messages show it ("" for the working directory).</param>
    /// <param name="fullDirectory">The including file's directory.</param>
    /// <param name="limit">More matches than this is an error (<paramref name="error"/>), before any is read.</param>
    /// <param name="error">Why the pattern cannot be expanded (a directory that cannot be listed, too many matches).</param>
    /// <returns>The matches in order; for a pattern without wildcards, the path itself whether it exists or not.</returns>
    public static List<Match> Expand(string pattern, string displayDirectory, string fullDirectory, int limit, out string? error)
    {
        error = null;
        var rooted = Path.IsPathRooted(pattern);
        if (!HasWildcard(pattern))
        {
            return rooted
                ? [new Match(pattern, Path.GetFullPath(pattern))]
                : [new Match(Path.Join(displayDirectory, pattern), Path.GetFullPath(Path.Join(fullDirectory, pattern)))];
        }

        var current = rooted ? new List<Match> { new("/", "/") } : [new Match(displayDirectory, fullDirectory)];
        var components = pattern.Split('/', StringSplitOptions.RemoveEmptyEntries);
        for (var c = 0; c < components.Length && current.Count > 0; c++)
        {
            var component = components[c];
            var last = c == components.Length - 1;
            var next = new List<Match>();
            foreach (var directory in current)
            {
                if (!HasWildcard(component))
                {
                    next.Add(new Match(Path.Join(directory.Display, component), Path.Join(directory.FullPath, component)));
                    continue;
                }

                if (!TryList(directory, component, last, next, limit, out error))
                {
                    return [];
                }
            }

            current = next;
        }

        // Components without wildcards after the last wildcard were not checked on disk.
        current = current.Where(m => File.Exists(m.FullPath)).ToList();
        current.Sort((a, b) => string.CompareOrdinal(a.Display, b.Display));
        return current.Select(m => m with { FullPath = Path.GetFullPath(m.FullPath) }).ToList();
    }

    private static bool TryList(Match directory, string component, bool files, List<Match> matches, int limit, out string? error)
    {
        error = null;
        var hidden = component.StartsWith('.');
        try
        {
            var options = new EnumerationOptions
            {
                RecurseSubdirectories = false,
                IgnoreInaccessible = false,
                AttributesToSkip = 0,
                ReturnSpecialDirectories = false,
            };
            var entries = files
                ? Directory.EnumerateFiles(directory.FullPath, "*", options)
                : Directory.EnumerateDirectories(directory.FullPath, "*", options);
            foreach (var entry in entries)
            {
                var name = Path.GetFileName(entry);
                if ((!hidden && name.StartsWith('.')) || !FileSystemName.MatchesSimpleExpression(component, name, ignoreCase: false))
                {
                    continue;
                }

                matches.Add(new Match(Path.Join(directory.Display, name), Path.Join(directory.FullPath, name)));
                if (matches.Count > limit)
                {
                    error = $"matches more than {limit} files";
                    return false;
                }
            }

            return true;
        }
        catch (DirectoryNotFoundException)
        {
            // As glob(3): a directory that is not there has no matches.
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            error = $"cannot list \"{directory.Display}\": {e.Message}";
            return false;
        }
    }
}
