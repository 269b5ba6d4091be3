namespace L4Balancer.TestSupport.Tls;

/// <summary>
/// The openssl s_client ClientHellos committed under Tls/Data (capture-openssl.sh regenerates them),
/// record framing included. The .hex files are copied next to the test assembly that uses them.
/// </summary>
public static class CapturedHellos
{
    /// <summary>The wire bytes of Tls/Data/<paramref name="name"/>.hex, e.g. "openssl-sni".</summary>
    public static byte[] Load(string name) =>
        Convert.FromHexString(string.Concat(File.ReadAllLines(Path.Combine(AppContext.BaseDirectory, "Tls", "Data", name + ".hex"))));
}
