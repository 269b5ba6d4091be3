namespace L4Balancer.Core.Runtime;

/// <summary>
/// A listening socket (a listener's, the admin endpoint's) could not bind its address: a fatal start
/// error. The common base lets the host treat every kind alike without knowing who owns the socket.
/// </summary>
internal abstract class BindFailedException(string message, Exception inner) : Exception(message, inner);
