using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using L4Balancer.Core.Config;
using static L4Balancer.Tests.Config.ConfigTestHelper;

namespace L4Balancer.Tests.Config;

/// <summary><c>[tenant.health] type</c> (issue 17): tcp, tls and http checks, their defaults and errors.</summary>
public class ConfigLoaderHealthTests
{
    private static HealthConfig Health(string table) => Load($"""
        [[tenant]]
        name = "acme"
        sni = ["*.acme.example", "llm.acme.example", "api.acme.example"]
        [tenant.health]
        {table}
        [[tenant.backend]]
        address = "10.1.0.11:443"
        """).FindTenant("acme")!.Health!;

    [Fact]
    public void Without_a_type_the_check_is_a_tcp_connect()
    {
        var health = Health("interval = \"5s\"");

        Assert.Equal(HealthCheckType.Tcp, health.Type);
        Assert.False(health.UsesTls);
        Assert.Null(health.Sni);
    }

    [Fact]
    public void A_tls_check_sends_the_first_exact_name_of_the_tenant_by_default()
    {
        var health = Health("type = \"tls\"");

        Assert.Equal(HealthCheckType.Tls, health.Type);
        Assert.True(health.UsesTls);
        Assert.Equal("llm.acme.example", health.Sni); // the wildcard before it names no host
        Assert.Null(health.Ca);
    }

    [Fact]
    public void An_http_check_has_haproxys_defaults()
    {
        var health = Health("type = \"http\"");

        Assert.Equal(HealthCheckType.Http, health.Type);
        Assert.False(health.Tls);
        Assert.False(health.UsesTls);
        Assert.Equal("/", health.Path);
        Assert.Null(health.Host);
        Assert.Equal("200-399", health.ExpectStatus.Text);
        Assert.True(health.ExpectStatus.Contains(200));
        Assert.True(health.ExpectStatus.Contains(399));
        Assert.False(health.ExpectStatus.Contains(404));
    }

    [Fact]
    public void An_http_check_over_tls_with_every_key()
    {
        var health = Health("""
            type = "http"
            tls = true
            sni = "Health.Acme.Example."
            path = "/v1/models?ready=1"
            host = "llm.acme.example"
            expect_status = "200, 204-206"
            """);

        Assert.True(health.UsesTls);
        Assert.Equal("health.acme.example", health.Sni);
        Assert.Equal("/v1/models?ready=1", health.Path);
        Assert.Equal("llm.acme.example", health.Host);
        Assert.Equal("200,204-206", health.ExpectStatus.Text);
        Assert.True(health.ExpectStatus.Contains(205));
        Assert.False(health.ExpectStatus.Contains(201));
    }

    [Fact]
    public void Expect_status_may_be_one_integer()
    {
        Assert.Equal("204", Health("type = \"http\"\nexpect_status = 204").ExpectStatus.Text);
    }

    [Fact]
    public void Equal_tables_are_equal_so_a_reload_keeps_the_checks_running()
    {
        const string table = "type = \"http\"\nexpect_status = \"200-299\"";
        Assert.Equal(Health(table), Health(table));
        Assert.NotEqual(Health(table), Health("type = \"http\"\nexpect_status = \"200-298\""));
    }

    [Theory]
    [InlineData("type = \"udp\"", 5, "tenant \"acme\" health: type must be \"tcp\", \"tls\" or \"http\" (got \"udp\")")]
    [InlineData("path = \"/\"", 5, "tenant \"acme\" health: path applies only to type = \"http\"")]
    [InlineData("type = \"tls\"\nexpect_status = 200", 6, "tenant \"acme\" health: expect_status applies only to type = \"http\"")]
    [InlineData("sni = \"a.example\"", 5, "tenant \"acme\" health: sni applies only to type = \"tls\" or type = \"http\" with tls = true")]
    [InlineData("type = \"http\"\nca = \"ca.pem\"", 6, "tenant \"acme\" health: ca applies only to type = \"tls\" or type = \"http\" with tls = true")]
    [InlineData("type = \"http\"\npath = \"health\"", 6, "tenant \"acme\" health: path must start with \"/\" and contain no spaces, control or non-ASCII characters (got \"health\")")]
    [InlineData("type = \"http\"\npath = \"/a b\"", 6, "tenant \"acme\" health: path must start with \"/\" and contain no spaces, control or non-ASCII characters (got \"/a b\")")]
    [InlineData("type = \"http\"\nhost = \"a\\r\\nX: y\"", 6, "tenant \"acme\" health: host must be a non-empty header value without spaces, control or non-ASCII characters (got \"a\r\nX: y\")")]
    [InlineData("type = \"http\"\nexpect_status = \"600\"", 6, "tenant \"acme\" health: expect_status \"600\" must be status codes (100-599) or ranges, e.g. \"200-399\" or \"200,204\"")]
    [InlineData("type = \"http\"\nexpect_status = \"300-200\"", 6, "tenant \"acme\" health: expect_status \"300-200\" must be status codes (100-599) or ranges, e.g. \"200-399\" or \"200,204\"")]
    [InlineData("type = \"http\"\nexpect_status = true", 6, "tenant \"acme\" health: expect_status must be a status code or a string of codes and ranges, e.g. \"200-399\", not a boolean")]
    [InlineData("type = \"tls\"\nsni = \"*.acme.example\"", 6, "tenant \"acme\" health: sni \"*.acme.example\" is not a server name (dot-separated labels of letters, digits and hyphens, no wildcard)")]
    [InlineData("type = \"tls\"\nca = \"/nonexistent/ca.pem\"", 6, "tenant \"acme\" health: ca: cannot read file \"/nonexistent/ca.pem\": No such file or directory")]
    public void Invalid_keys_are_errors_on_their_line(string table, int line, string message)
    {
        var errors = Errors($"""
            [[tenant]]
            name = "acme"
            sni = ["llm.acme.example"]
            [tenant.health]
            {table}
            [[tenant.backend]]
            address = "10.1.0.11:443"
            """);

        var error = Assert.Single(errors);
        Assert.Equal(line, error.Line);
        Assert.StartsWith(message, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_ca_file_is_read_at_load_relative_to_the_config_file()
    {
        var directory = Directory.CreateTempSubdirectory("l4b-health-ca");
        try
        {
            using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            using var certificate = new CertificateRequest("CN=test ca", key, HashAlgorithmName.SHA256)
                .CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
            File.WriteAllText(Path.Combine(directory.FullName, "ca.pem"), certificate.ExportCertificatePem());
            File.WriteAllText(Path.Combine(directory.FullName, "junk.pem"), "not a certificate\n");
            var config = Path.Combine(directory.FullName, "balancer.toml");

            File.WriteAllText(config, WithListener(Table("ca.pem")));
            var loaded = ConfigLoader.LoadFile(config);
            Assert.True(loaded.IsValid, string.Join("\n", loaded.Errors));
            var ca = loaded.Config.FindTenant("acme")!.Health!.Ca!;
            Assert.Equal("ca.pem", ca.Path);
            Assert.Equal(certificate.Thumbprint, Assert.Single(ca.Certificates).Thumbprint);

            File.WriteAllText(config, WithListener(Table("junk.pem")));
            var junk = ConfigLoader.LoadFile(config);
            Assert.Equal($"{config}:6: tenant \"acme\" health: ca: file \"junk.pem\" holds no PEM certificate (-----BEGIN CERTIFICATE-----)", Assert.Single(junk.Errors).ToString());
        }
        finally
        {
            directory.Delete(recursive: true);
        }

        static string Table(string ca) => $"""
            [[tenant]]
            name = "acme"
            [tenant.health]
            type = "http"
            tls = true
            ca = "{ca}"
            [[tenant.backend]]
            address = "127.0.0.1:443"
            """;
    }
}
