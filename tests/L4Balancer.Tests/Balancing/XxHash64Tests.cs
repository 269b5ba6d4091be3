using System.Text;
using L4Balancer.Core.Balancing;

namespace L4Balancer.Tests.Balancing;

public class XxHash64Tests
{
    [Theory]
    [InlineData("", 0UL, 0xEF46DB3751D8E999UL)]
    [InlineData("a", 0UL, 0xD24EC4F1A98C6E5BUL)]
    [InlineData("abc", 0UL, 0x44BC2CF5AD770999UL)]
    [InlineData("Nobody inspects the spammish repetition", 0UL, 0xFBCEA83C8A378BF1UL)]
    public void Matches_published_vectors(string text, ulong seed, ulong expected) =>
        Assert.Equal(expected, XxHash64.Hash(Encoding.ASCII.GetBytes(text), seed));

    [Fact]
    public void Matches_the_reference_implementation_for_every_length_and_path()
    {
        // Lengths 0..200 cross the 32-byte stripe loop and every tail (8-, 4- and 1-byte steps);
        // seeds 0 and 1 are the two Maglev uses, the others catch a seed applied in the wrong place.
        var random = new Random(1234);
        foreach (var seed in new ulong[] { 0, 1, 0x9E3779B97F4A7C15, ulong.MaxValue })
        {
            for (var length = 0; length <= 200; length++)
            {
                var data = new byte[length];
                random.NextBytes(data);
                Assert.Equal(System.IO.Hashing.XxHash64.HashToUInt64(data, (long)seed), XxHash64.Hash(data, seed));
            }
        }
    }
}
