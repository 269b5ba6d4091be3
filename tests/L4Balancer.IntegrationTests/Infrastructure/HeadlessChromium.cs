using System.Diagnostics;
using System.Net.Http;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace L4Balancer.IntegrationTests.Infrastructure;

/// <summary>
/// A headless Chromium driven over the DevTools protocol: navigate, evaluate JavaScript in the page,
/// take screenshots. The protocol (rather than one-shot <c>--dump-dom</c>) lets a test watch the same
/// live page change while it opens connections.
/// </summary>
internal sealed partial class HeadlessChromium : IAsyncDisposable
{
    public static readonly string? Path = ExternalTool.Find("chromium", "chromium-browser", "google-chrome");

    private readonly Process _process;
    private readonly DirectoryInfo _profile;
    private readonly ClientWebSocket _socket;
    private readonly StringBuilder _stderr;
    private int _nextId;

    private HeadlessChromium(Process process, DirectoryInfo profile, ClientWebSocket socket, StringBuilder stderr)
    {
        _process = process;
        _profile = profile;
        _socket = socket;
        _stderr = stderr;
    }

    public static async Task<HeadlessChromium> StartAsync(int width = 1280, int height = 900)
    {
        var profile = Directory.CreateTempSubdirectory("l4b-chromium-");
        var info = new ProcessStartInfo(Path ?? throw new InvalidOperationException("chromium not installed"))
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[]
        {
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
            "--no-default-browser-check", "--disable-extensions", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--hide-scrollbars", "--mute-audio",
            "--remote-debugging-port=0", "--remote-allow-origins=*",
            $"--user-data-dir={profile.FullName}", $"--window-size={width},{height}", "about:blank",
        })
        {
            info.ArgumentList.Add(arg);
        }

        var process = Process.Start(info)!;
        var stderr = new StringBuilder();
        var listening = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                listening.TrySetException(new InvalidOperationException("chromium exited before it listened:\n" + stderr));
                return;
            }

            lock (stderr)
            {
                stderr.AppendLine(e.Data);
            }

            if (DevToolsLine().Match(e.Data) is { Success: true } m)
            {
                listening.TrySetResult(m.Groups[1].Value);
            }
        };
        process.OutputDataReceived += (_, _) => { };
        process.BeginErrorReadLine();
        process.BeginOutputReadLine();

        try
        {
            var browserUrl = new Uri(await listening.Task.WaitAsync(Deadline.After(TimeSpan.FromSeconds(60))));

            // The page chromium opened for about:blank: its own DevTools socket.
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
            var targets = JsonNode.Parse(await http.GetStringAsync($"http://{browserUrl.Authority}/json/list"))!.AsArray();
            var page = targets.First(t => (string?)t!["type"] == "page")!;
            var socket = new ClientWebSocket();
            await socket.ConnectAsync(new Uri((string)page["webSocketDebuggerUrl"]!), Deadline.After());
            var browser = new HeadlessChromium(process, profile, socket, stderr);
            await browser.SendAsync("Page.enable");
            await browser.SendAsync("Runtime.enable");
            return browser;
        }
        catch
        {
            process.Kill(entireProcessTree: true);
            process.Dispose();
            profile.Delete(recursive: true);
            throw;
        }
    }

    /// <summary>Navigates and waits until the new document has loaded.</summary>
    public async Task NavigateAsync(string url)
    {
        var result = await SendAsync("Page.navigate", new JsonObject { ["url"] = url });
        if (result["errorText"] is { } error)
        {
            throw new InvalidOperationException($"navigation to {url} failed: {error}");
        }

        var target = new Uri(url).GetLeftPart(UriPartial.Path);
        await WaitForAsync("location.origin + location.pathname + ' ' + document.readyState",
            v => (string?)v == target + " complete", because: $"loading {target}");
    }

    /// <summary>Evaluates <paramref name="expression"/> in the page and returns its JSON value.</summary>
    public async Task<JsonNode?> EvaluateAsync(string expression)
    {
        var result = await SendAsync("Runtime.evaluate", new JsonObject
        {
            ["expression"] = expression,
            ["returnByValue"] = true,
            ["awaitPromise"] = true,
        });
        if (result["exceptionDetails"] is { } exception)
        {
            throw new InvalidOperationException($"page threw evaluating {expression}: {exception.ToJsonString()}");
        }

        return result["result"]?["value"];
    }

    /// <summary>Polls <paramref name="expression"/> until <paramref name="done"/> accepts its value; returns that value.</summary>
    public async Task<JsonNode?> WaitForAsync(string expression, Func<JsonNode?, bool> done, TimeSpan? timeout = null, string? because = null)
    {
        var token = Deadline.After(timeout ?? TimeSpan.FromSeconds(30));
        JsonNode? value = null;
        while (!token.IsCancellationRequested)
        {
            value = await EvaluateAsync(expression);
            if (done(value))
            {
                return value;
            }

            await Task.Delay(100, CancellationToken.None);
        }

        throw new TimeoutException($"{because ?? expression}: last value {value?.ToJsonString() ?? "null"}");
    }

    public async Task<byte[]> ScreenshotAsync()
    {
        var result = await SendAsync("Page.captureScreenshot", new JsonObject { ["format"] = "png" });
        return Convert.FromBase64String((string)result["data"]!);
    }

    private async Task<JsonNode> SendAsync(string method, JsonObject? parameters = null)
    {
        var id = ++_nextId;
        var message = new JsonObject { ["id"] = id, ["method"] = method, ["params"] = parameters ?? new JsonObject() };
        var token = Deadline.After();
        await _socket.SendAsync(Encoding.UTF8.GetBytes(message.ToJsonString()), WebSocketMessageType.Text, true, token);

        // Events arrive on the same socket; skip them until our answer comes.
        var buffer = new byte[64 * 1024];
        while (true)
        {
            using var received = new MemoryStream();
            WebSocketReceiveResult part;
            do
            {
                part = await _socket.ReceiveAsync(buffer, token);
                if (part.MessageType == WebSocketMessageType.Close)
                {
                    throw new InvalidOperationException("chromium closed the DevTools socket:\n" + Stderr);
                }

                received.Write(buffer, 0, part.Count);
            }
            while (!part.EndOfMessage);

            var reply = JsonNode.Parse(received.ToArray())!;
            if ((int?)reply["id"] != id)
            {
                continue;
            }

            if (reply["error"] is { } error)
            {
                throw new InvalidOperationException($"{method}: {error.ToJsonString()}");
            }

            return reply["result"] ?? new JsonObject();
        }
    }

    private string Stderr
    {
        get
        {
            lock (_stderr)
            {
                return _stderr.ToString();
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        _socket.Dispose();
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
        try
        {
            _profile.Delete(recursive: true);
        }
        catch (IOException)
        {
            // A crash reporter may still hold a file for a moment; the temp folder is cleaned eventually.
        }
    }

    [GeneratedRegex(@"DevTools listening on (ws://\S+)")]
    private static partial Regex DevToolsLine();
}
