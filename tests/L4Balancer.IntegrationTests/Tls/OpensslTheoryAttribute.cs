namespace L4Balancer.IntegrationTests.Tls;

/// <summary>
/// A theory that runs only where the openssl tool exists; elsewhere every case is reported as skipped,
/// with the reason (xunit 2 has no dynamic skip, so the attribute decides when tests are discovered).
/// </summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false)]
public sealed class OpensslTheoryAttribute : TheoryAttribute
{
    public OpensslTheoryAttribute()
    {
        if (Openssl.Path is null)
        {
            Skip = Openssl.SkipReason;
        }
    }
}
