// Sample.cs: pushes a vehicle enter and its leave, each with a photo, through Pyun.Net
// (bindings-dotnet/, the Pyun.Net NuGet package), then the same two through an outbox and its
// background sender. See docs/dotnet.md.
//
//   mcs -langversion:4 -r:Pyun.Net.dll -out:PyunSample.exe Sample.cs
//   mono PyunSample.exe [BASE_URL [DATA_DIR]]      (on Windows: PyunSample.exe ...)
//
// BASE_URL defaults to %PYUN_BASE_URL% (the sandbox: `pyun sandbox --port 8040`), DATA_DIR to
// %PYUN_DATA_DIR% or examples/data; the secret comes from %PYUN_APP_SECRET% (default "123").
// Exit code 0 when every record was accepted and the signing vector holds.
using System;
using System.IO;
using System.Threading;
using PyunNet;

public static class Sample
{
    private static string Arg(string[] args, int i, string env, string fallback)
    {
        string v = args.Length > i ? args[i] : Environment.GetEnvironmentVariable(env);
        return string.IsNullOrEmpty(v) ? fallback : v;
    }

    public static int Main(string[] args)
    {
        string url = Arg(args, 0, "PYUN_BASE_URL", null);
        string dir = Arg(args, 1, "PYUN_DATA_DIR", "examples/data");
        string secret = Arg(new string[0], 0, "PYUN_APP_SECRET", "123");
        if (url == null)
        {
            Console.Error.WriteLine("usage: PyunSample.exe BASE_URL [DATA_DIR] (or PYUN_BASE_URL)");
            return 2;
        }
        Console.WriteLine("libpyun " + Pyun.Version);
        int status = 0;

        // Page 001's enter vector: secret "123" gives F58EDB51E299C99BE0E24D84739994CA.
        // (Non-ASCII as \u escapes: csc reads a file without BOM in the ANSI code page.)
        string vector = "{\"car_color\":\"1\",\"car_desc\":\"\u4e34\u65f6\u8f66\",\"car_type\":\"1\"," +
            "\"enter_gate\":\"\u5165\u53e3\u540d\u79f0\",\"enter_image\":\"https://t7.baidu.com/it/u=1595072465,3644073269&fm=193&f=GIF\"," +
            "\"enter_image_hash\":\"3EF48C1A8A95DF308EFF872082280815\",\"enter_release_reason\":\"\u8bbf\u95ee\u5ba2\u6237\"," +
            "\"enter_security\":\"\u5165\u53e3\u4fdd\u5b89\",\"enter_time\":\"1624874732253\"," +
            "\"park_uuid\":\"49f0cc52-e8c7-41e3-b54d-af666b8cc11a\",\"parking_serial\":\"202106028000000007\"," +
            "\"plate\":\"\u7ca4X44444\",\"plate_color\":\"1\",\"remain_parking_space\":\"10\"," +
            "\"total_parking_space\":\"100\",\"vehicle_type\":\"1\"}";
        string sign = Pyun.Sign(vector, "123");
        Console.WriteLine("vector sign: " + sign);
        if (sign != "F58EDB51E299C99BE0E24D84739994CA") status = 1;

        string[][] pushes = {
            new string[] { "enter", "enter_image_file", "enter.gif" },
            new string[] { "leave", "leave_image_file", "leave.bmp" },
        };
        // 1. Push and wait for the answer.
        using (PyunClient client = new PyunClient(secret, url))
        {
            foreach (string[] p in pushes)
            {
                string record = File.ReadAllText(Path.Combine(dir, p[0] + ".json"));
                try
                {
                    PushResult r = client.Push(p[0], record, PyunClient.Photo(p[1], Path.Combine(dir, p[2])));
                    Console.WriteLine(p[0] + ": " + r.Outcome + ", seqno " + r.Seqno + ", attempts " + r.Attempts);
                    if (r.Outcome != PyunOutcome.Accepted) status = 1;
                }
                catch (RejectedException e)
                {
                    Console.WriteLine(p[0] + " refused: " + e.Message + (e.Result.Diagnosis == null ? "" :
                        " (" + e.Result.Diagnosis.Summary + ")"));
                    status = 1;
                }
                catch (PyunException e)
                {
                    Console.WriteLine(p[0] + " failed: " + e.Message);
                    status = 1;
                }
            }

            // 2. Enqueue and forget: the outbox keeps the records on disk, the sender delivers.
            string db = Path.Combine(Path.GetTempPath(), "pyun-sample-" + Guid.NewGuid().ToString("N") + ".db");
            try
            {
                int accepted = 0;
                using (PyunOutbox outbox = new PyunOutbox(db))
                using (PyunSender sender = outbox.StartSender(client, 1000, delegate(DeliveryEvent e)
                {
                    // The sender's thread: a UI program would BeginInvoke to its form here.
                    Console.WriteLine("event " + e.Seq + ": " + e.Kind + " " + e.Endpoint + " " + e.Key);
                    if (e.Kind == "accepted") Interlocked.Increment(ref accepted);
                }, 0))
                {
                    foreach (string[] p in pushes)
                        outbox.Enqueue(p[0], File.ReadAllText(Path.Combine(dir, p[0] + ".json")),
                            PyunClient.Photo(p[1], Path.Combine(dir, p[2])));
                    for (int i = 0; i < 300 && outbox.Counts().Done < 2; i++) Thread.Sleep(100);
                    OutboxCounts c = outbox.Counts();
                    Console.WriteLine("outbox: " + c.Done + " done, " + c.Pending + " pending, " + c.Dead + " dead");
                    if (c.Done != 2) status = 1;
                }
                if (accepted != 2) status = 1;
            }
            finally
            {
                foreach (string f in Directory.GetFiles(Path.GetDirectoryName(db), Path.GetFileName(db) + "*"))
                    try { File.Delete(f); } catch (IOException) { }
                try { Directory.Delete(db + ".files", true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
            }
        }
        return status;
    }
}
