namespace L4Balancer;

internal static class Program
{
    public static int Main(string[] args)
    {
        Console.Error.WriteLine("l4balancer: not wired yet");
        return args.Length == 0 ? 2 : 2;
    }
}
