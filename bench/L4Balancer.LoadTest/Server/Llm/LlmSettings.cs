namespace L4Balancer.LoadTest.Server.Llm;

/// <summary>
/// One simulated LLM instance (<c>serve --kind llm</c>): <see cref="Slots"/> requests generate at a
/// time, the rest wait in one FIFO queue. A request in a slot first prefills
/// (<see cref="PrefillMicrosecondsPerByte"/> × its prompt bytes), then sends its first token, then one
/// token every 1 / <see cref="TokenRate"/> s until it has sent its output tokens, then frees the slot.
/// So a request holds its slot for prefill + (tokens − 1) / rate, and the instance's capacity is
/// <c>slots / (E[prompt bytes] × prefill + (E[tokens] − 1) / rate)</c> requests per second.
/// </summary>
/// <param name="Slots">Requests generating at once (vLLM's running batch).</param>
/// <param name="PrefillMicrosecondsPerByte">Prefill cost per prompt byte, in µs.</param>
/// <param name="TokenRate">Output tokens per second per slot.</param>
/// <param name="FixedTokens">Output tokens of every request; null = as the request asks (<c>max_tokens</c>).</param>
/// <param name="ChunkBytes">Bytes of each token's event (the data of one HTTP chunk).</param>
/// <param name="KvCapacityTokens">The KV cache's size in tokens: <c>vllm:kv_cache_usage_perc</c> = tokens held by the running requests ÷ this (at most 1).</param>
/// <param name="ModelName">The <c>model_name</c> label of every metric.</param>
internal sealed record LlmSettings(
    int Slots,
    double PrefillMicrosecondsPerByte,
    double TokenRate,
    int? FixedTokens,
    int ChunkBytes,
    int KvCapacityTokens,
    string ModelName)
{
    /// <summary>Tokens a request asks for when it does not say: a short answer.</summary>
    public const int DefaultTokens = 16;

    /// <summary>The most output tokens one request may ask for.</summary>
    public const int MaxTokens = 100_000;

    /// <summary>Prompt bytes per prompt token, for the KV figure: about 4 for English text with common tokenizers.</summary>
    public const int BytesPerToken = 4;

    /// <summary>The smallest token event: "data: token 0000000\n\n" and a little filler.</summary>
    public const int MinChunkBytes = 32;

    public TimeSpan Prefill(long promptBytes) => TimeSpan.FromMicroseconds(promptBytes * PrefillMicrosecondsPerByte);

    /// <summary>When token <paramref name="index"/> (0 = the first) is due, from the end of the prefill.</summary>
    public TimeSpan TokenOffset(int index) => TimeSpan.FromSeconds(index / TokenRate);

    public int PromptTokens(long promptBytes) => (int)Math.Min(int.MaxValue, (promptBytes + BytesPerToken - 1) / BytesPerToken);
}
