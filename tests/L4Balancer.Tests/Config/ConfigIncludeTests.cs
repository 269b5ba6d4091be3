using L4Balancer.Core.Config;
using L4Balancer.TestSupport.Files;

namespace L4Balancer.Tests.Config;

/// <summary><c>include = [...]</c> (issue 17): files on disk in a temporary directory, read through <see cref="ConfigLoader.LoadFile(string, Func{string, string?})"/>.</summary>
public sealed class ConfigIncludeTests : IDisposable
{
    private const string Listener = """
        [[listener]]
        name = "main"
        bind = "127.0.0.1:0"
        tenant = "alpha"

        """;

    private readonly DirectoryInfo _directory = Directory.CreateTempSubdirectory("l4b-include-");

    public void Dispose() => _directory.Delete(recursive: true);

    private string PathOf(string name) => Path.Combine(_directory.FullName, name);

    private string Write(string name, string toml)
    {
        var path = PathOf(name);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, toml);
        return path;
    }

    private static string Tenant(string name) => $"""
        [[tenant]]
        name = "{name}"

        [[tenant.backend]]
        address = "127.0.0.1:9"

        """;

    private static ConfigLoadResult Load(string path) => ConfigLoader.LoadFile(path, _ => null);

    private static List<string> Errors(ConfigLoadResult result)
    {
        Assert.False(result.IsValid, "expected the config to be invalid");
        return result.Errors.Select(e => e.ToString()).ToList();
    }

    private static BalancerConfig Valid(ConfigLoadResult result)
    {
        Assert.True(result.IsValid, string.Join("\n", result.Errors));
        return result.Config;
    }

    [Fact]
    public void Glob_matches_are_read_in_sorted_order_relative_to_the_including_file_before_its_own_tables()
    {
        // Written out of order, with names that sort differently by culture and by byte.
        Write("conf/tenants.d/b.toml", Tenant("bravo"));
        Write("conf/tenants.d/B.toml", Tenant("upper-bravo"));
        Write("conf/tenants.d/a.toml", Tenant("alpha"));
        Write("conf/tenants.d/c.txt", Tenant("not-toml"));
        var main = Write("conf/balancer.toml", "include = [\"tenants.d/*.toml\"]\n" + Listener + Tenant("zulu"));

        // From another working directory: "relative" is to the including file, not to the process.
        var config = Valid(Load(main));

        Assert.Equal(["upper-bravo", "alpha", "bravo", "zulu"], config.Tenants.Select(t => t.Name));
        string[] files = ["B.toml", "a.toml", "b.toml"];
        Assert.Equal(files.Select(f => PathOf($"conf/tenants.d/{f}")), config.IncludedFiles);
        Assert.Contains($"\ninclude {PathOf("conf/tenants.d/B.toml")}\n", ConfigSummary.Format(config), StringComparison.Ordinal);
    }

    [Fact]
    public void Patterns_are_read_in_the_order_written_and_absolute_patterns_work()
    {
        Write("one/x.toml", Tenant("from-one"));
        Write("two/x.toml", Tenant("from-two"));
        var main = Write("balancer.toml", $"include = [\"two/*.toml\", \"{PathOf("one")}/*.toml\"]\n" + Listener + Tenant("alpha"));

        var config = Valid(Load(main));

        Assert.Equal(["from-two", "from-one", "alpha"], config.Tenants.Select(t => t.Name));
    }

    [Fact]
    public void Included_files_may_hold_listeners_and_wildcards_skip_hidden_files_and_directories()
    {
        Write("d/listeners.toml", """
            [[listener]]
            name = "second"
            bind = "127.0.0.1:0"
            tenant = "alpha"
            """);
        Write("d/.#editor-lock.toml", "this is not toml");
        Directory.CreateDirectory(PathOf("d/sub.toml"));
        var main = Write("balancer.toml", "include = [\"d/*.toml\"]\n" + Listener + Tenant("alpha"));

        var config = Valid(Load(main));

        Assert.Equal(["second", "main"], config.Listeners.Select(l => l.Name));
    }

    [Fact]
    public void Nested_includes_are_relative_to_the_file_that_includes_them()
    {
        Write("a/first.toml", "include = [\"deeper/*.toml\"]\n" + Tenant("first"));
        Write("a/deeper/second.toml", Tenant("second"));
        var main = Write("balancer.toml", "include = [\"a/first.toml\"]\n" + Listener + Tenant("alpha"));

        var config = Valid(Load(main));

        Assert.Equal(["second", "first", "alpha"], config.Tenants.Select(t => t.Name));
    }

    [Fact]
    public void An_include_cycle_is_an_error_naming_the_chain()
    {
        var main = Write("balancer.toml", "include = [\"a.toml\"]\n" + Listener + Tenant("alpha"));
        Write("a.toml", "include = [\"b.toml\"]\n");
        Write("b.toml", "\ninclude = [\"balancer.toml\"]\n");

        var error = Assert.Single(Errors(Load(main)));

        Assert.Equal($"{PathOf("b.toml")}:2: include \"balancer.toml\": include cycle: {main} -> {PathOf("a.toml")} -> {PathOf("b.toml")} -> {main}", error);
    }

    [Fact]
    public void A_file_that_includes_itself_is_a_cycle()
    {
        Write("self.toml", "include = [\"*.toml\"]\n");
        var main = Write("balancer.toml", "include = [\"self.toml\"]\n" + Listener + Tenant("alpha"));

        var errors = Errors(Load(main));

        Assert.Contains($"{PathOf("self.toml")}:1: include \"*.toml\": include cycle: {main} -> {PathOf("self.toml")} -> {main}", errors);
        Assert.Contains($"{PathOf("self.toml")}:1: include \"*.toml\": include cycle: {PathOf("self.toml")} -> {PathOf("self.toml")}", errors);
    }

    [Fact]
    public void A_file_included_twice_is_an_error_naming_the_first_include()
    {
        Write("t/alpha.toml", Tenant("alpha"));
        var main = Write("balancer.toml", "include = [\n  \"t/*.toml\",\n  \"t/alpha.toml\",\n]\n" + Listener);

        var error = Assert.Single(Errors(Load(main)));

        Assert.Equal($"{main}:3: include \"t/alpha.toml\": \"{PathOf("t/alpha.toml")}\" is included twice (first on line 2)", error);
    }

    [Fact]
    public void A_glob_matching_nothing_is_accepted_with_a_warning_and_a_missing_literal_file_is_an_error()
    {
        var main = Write("balancer.toml", "include = [\"tenants.d/*.toml\", \"nowhere/*/x.toml\"]\n" + Listener + Tenant("alpha"));

        var result = Load(main);

        Valid(result);
        Assert.Equal(
            [$"{main}:1: include \"tenants.d/*.toml\" matches no file", $"{main}:1: include \"nowhere/*/x.toml\" matches no file"],
            result.Warnings.Select(w => w.ToString()));

        File.WriteAllText(main, "include = [\"missing.toml\"]\n" + Listener + Tenant("alpha"));
        var error = Assert.Single(Errors(Load(main)));
        Assert.StartsWith($"{main}:1: include \"missing.toml\": cannot read \"{PathOf("missing.toml")}\": ", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Errors_in_an_included_file_name_that_file_and_its_own_lines()
    {
        Write("t/bad.toml", """
            [[tenant]]
            name = "bad"
            max_connection = 5
            allow = ["10.0.0.0/33"]

            [[tenant.backend]]
            address = "127.0.0.1:9"
            """);
        var main = Write("balancer.toml", "include = [\"t/*.toml\"]\n" + Listener + Tenant("alpha"));

        var errors = Errors(Load(main));

        Assert.Equal(
            [
                $"{PathOf("t/bad.toml")}:3: tenant \"bad\": unknown key \"max_connection\" (did you mean \"max_connections\"?)",
                $"{PathOf("t/bad.toml")}:4: tenant \"bad\": \"10.0.0.0/33\" is not a CIDR prefix",
            ],
            errors);
    }

    [Fact]
    public void A_syntax_error_in_an_included_file_is_reported_there_once()
    {
        Write("t/broken.toml", "\n[[tenant]\nname = \"broken\"\n\n[[tenant.backend]]\naddress = \"127.0.0.1:9\"\n");
        var main = Write("balancer.toml", "include = [\"t/*.toml\"]\n" + Listener + Tenant("alpha"));

        var error = Assert.Single(Errors(Load(main)));

        Assert.StartsWith($"{PathOf("t/broken.toml")}:2: ", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("[global]\nmax_connections = 5\n", 1, "[global] is not allowed in an included file: it may hold only [[tenant]] and [[listener]] tables and include")]
    [InlineData("\n[admin]\nlisten = \"127.0.0.1:0\"\n", 2, "[admin] is not allowed in an included file: it may hold only [[tenant]] and [[listener]] tables and include")]
    [InlineData("debug = true\n", 1, "key \"debug\" is not allowed in an included file: it may hold only [[tenant]] and [[listener]] tables and include")]
    [InlineData("[[tenants]]\nname = \"x\"\n", 1, "[[tenants]] is not allowed in an included file: it may hold only [[tenant]] and [[listener]] tables and include (did you mean \"tenant\"?)")]
    [InlineData("tenant = \"x\"\n", 1, "tenant must be an array of tables ([[tenant]]), not a string")]
    public void An_included_file_may_hold_only_tenants_listeners_and_include(string included, int line, string message)
    {
        Write("t/x.toml", included);
        var main = Write("balancer.toml", "include = [\"t/*.toml\"]\n" + Listener + Tenant("alpha"));

        var error = Assert.Single(Errors(Load(main)));

        Assert.Equal($"{PathOf("t/x.toml")}:{line}: {message}", error);
    }

    [Fact]
    public void The_same_tenant_in_two_files_is_an_error_naming_both()
    {
        Write("t/a.toml", Tenant("alpha"));
        Write("t/b.toml", "# the same tenant again\n" + Tenant("alpha"));
        var main = Write("balancer.toml", "include = [\"t/*.toml\"]\n" + Listener);

        var error = Assert.Single(Errors(Load(main)));

        Assert.Equal($"{PathOf("t/b.toml")}:3: tenant \"alpha\" is already defined in {PathOf("t/a.toml")}:1", error);
    }

    [Fact]
    public void A_tenant_in_the_main_file_and_an_included_one_names_both()
    {
        Write("t/a.toml", Tenant("alpha"));
        var main = Write("balancer.toml", "include = [\"t/*.toml\"]\n" + Listener + Tenant("alpha"));

        var error = Assert.Single(Errors(Load(main)));

        Assert.Equal($"{main}:7: tenant \"alpha\" is already defined in {PathOf("t/a.toml")}:1", error);
    }

    [Fact]
    public void File_names_in_messages_follow_the_main_file_as_written()
    {
        Write("t/a.toml", "[[tenant]]\nname = \"alpha\"\nretries = -1\n\n[[tenant.backend]]\naddress = \"127.0.0.1:9\"\n");
        Write("balancer.toml", "include = [\"t/*.toml\"]\n" + Listener);
        var relative = Path.GetRelativePath(Environment.CurrentDirectory, PathOf("balancer.toml"));

        var error = Assert.Single(Errors(Load(relative)));

        Assert.Equal($"{Path.Join(Path.GetDirectoryName(relative), "t/a.toml")}:3: tenant \"alpha\": retries must be >= 0 (got -1)", error);
    }

    [Fact]
    public void Include_patterns_take_environment_variables_and_an_unset_one_reads_nothing()
    {
        Write("fleet/a.toml", Tenant("alpha"));
        var main = Write("balancer.toml", "include = [\"${TENANT_DIR}/*.toml\"]\n" + Listener);

        var config = Valid(ConfigLoader.LoadFile(main, name => name == "TENANT_DIR" ? "fleet" : null));
        Assert.Equal(["alpha"], config.Tenants.Select(t => t.Name));

        // Not "/*.toml": nothing is read, and the one error is the variable.
        var result = Load(main);
        Assert.Equal($"{main}:1: include: environment variable \"TENANT_DIR\" is not set", Assert.Single(Errors(result)));
        Assert.Empty(result.Warnings);
    }

    [Fact]
    public void Include_must_be_an_array_of_strings()
    {
        var main = Write("balancer.toml", "include = \"t/*.toml\"\n" + Listener + Tenant("alpha"));

        var error = Assert.Single(Errors(Load(main)));

        Assert.Equal($"{main}:1: include must be an array of strings, e.g. include = [\"tenants.d/*.toml\"], not a string", error);
    }

    [Fact]
    public void Includes_nested_deeper_than_the_limit_are_an_error()
    {
        for (var i = 1; i <= ConfigSources.MaxIncludeDepth + 1; i++)
        {
            Write($"n{i}.toml", $"include = [\"n{i + 1}.toml\"]\n");
        }

        Write($"n{ConfigSources.MaxIncludeDepth + 2}.toml", "");
        var main = Write("balancer.toml", "include = [\"n1.toml\"]\n" + Listener + Tenant("alpha"));

        var error = Assert.Single(Errors(Load(main)));

        Assert.Equal($"{PathOf($"n{ConfigSources.MaxIncludeDepth}.toml")}:1: include \"n{ConfigSources.MaxIncludeDepth + 1}.toml\": includes are nested more than {ConfigSources.MaxIncludeDepth} deep", error);
    }

    [Fact]
    public void A_glob_matching_more_files_than_the_limit_is_refused_before_reading_them()
    {
        var directory = Directory.CreateDirectory(PathOf("many"));
        for (var i = 0; i <= ConfigSources.MaxIncludedFiles; i++)
        {
            // Empty files: the limit is on the count, whatever they hold (reading them is what it prevents).
            File.Create(Path.Combine(directory.FullName, $"t{i:D5}.toml")).Dispose();
        }

        var main = Write("balancer.toml", "include = [\"many/*.toml\"]\n" + Listener + Tenant("alpha"));

        var error = Assert.Single(Errors(Load(main)));

        Assert.Equal($"{main}:1: include \"many/*.toml\" matches more than {ConfigSources.MaxIncludedFiles} files (at most {ConfigSources.MaxIncludedFiles} files are included in all)", error);
    }

    [Fact]
    public void The_size_limit_holds_for_all_files_together()
    {
        // b.toml alone is under 16 MiB, but not with the main file and a.toml. Sparse: no disk is
        // used, and the size is refused before a byte is read.
        Write("big/a.toml", "# nothing here\n");
        using (var file = File.Create(PathOf("big/b.toml")))
        {
            file.SetLength(ConfigLoader.MaxConfigBytes - 100);
        }

        var main = Write("balancer.toml", "include = [\"big/*.toml\"]\n" + Listener + Tenant("alpha"));

        var error = Assert.Single(Errors(Load(main)));

        Assert.Equal($"{main}:1: include \"big/*.toml\": cannot read \"{PathOf("big/b.toml")}\": the config file and its includes are larger than 16 MiB together", error);
    }

    [MkfifoFact]
    public void A_fifo_matched_by_a_glob_is_refused_without_blocking()
    {
        Directory.CreateDirectory(PathOf("t"));
        Fifo.Create(PathOf("t/pipe.toml"));
        var main = Write("balancer.toml", "include = [\"t/*.toml\"]\n" + Listener + Tenant("alpha"));

        var result = Task.Run(() => Load(main)).WaitAsync(TimeSpan.FromSeconds(10)).GetAwaiter().GetResult();

        Assert.Equal($"{main}:1: include \"t/*.toml\": cannot read \"{PathOf("t/pipe.toml")}\": not a regular file (FIFO)", Assert.Single(Errors(result)));
    }
}
