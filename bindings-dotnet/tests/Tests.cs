// Tests.cs: the test runner of Pyun.Net, against the real libpyun.so / pyun.dll and a sandbox.
//
//   mono PyunNetTests.exe BASE_URL FAULTY_URL DATA_DIR WORK_DIR   (PYUN_APP_SECRET: the
//   sandbox's secret; FAULTY_URL: a sandbox that fails and drops some requests)
//
// Prints one line per failure and ends with "N passed, N failed"; exit code 1 on any failure.
using System;
using System.Collections.Generic;
using System.IO;
using System.Text;
using System.Threading;
using PyunNet;

public static class Tests
{
    private static int passed, failed;
    private const string WrongSecret = "Wz3-wrong-secret-never-shown-9c2d";

    private static void Check(bool ok, string what)
    {
        if (ok) passed++;
        else { failed++; Console.WriteLine("FAIL " + what); }
    }

    /// <summary>Runs body, expecting an exception of type T; returns it (null if none).</summary>
    private static T Throws<T>(string what, Action body) where T : Exception
    {
        try
        {
            body();
            Check(false, what + ": no exception");
        }
        catch (T e)
        {
            Check(true, what);
            return e;
        }
        catch (Exception e)
        {
            Check(false, what + ": " + e.GetType().Name + ": " + e.Message);
        }
        return null;
    }

    private static void Section(string name, Action body)
    {
        try { body(); }
        catch (Exception e) { Check(false, name + " threw " + e); }
    }

    private static string Vector()
    {
        return "{\"car_color\":\"1\",\"car_desc\":\"\u4e34\u65f6\u8f66\",\"car_type\":\"1\"," +
            "\"enter_gate\":\"\u5165\u53e3\u540d\u79f0\",\"enter_image\":\"https://t7.baidu.com/it/u=1595072465,3644073269&fm=193&f=GIF\"," +
            "\"enter_image_hash\":\"3EF48C1A8A95DF308EFF872082280815\",\"enter_release_reason\":\"\u8bbf\u95ee\u5ba2\u6237\"," +
            "\"enter_security\":\"\u5165\u53e3\u4fdd\u5b89\",\"enter_time\":\"1624874732253\"," +
            "\"park_uuid\":\"49f0cc52-e8c7-41e3-b54d-af666b8cc11a\",\"parking_serial\":\"202106028000000007\"," +
            "\"plate\":\"\u7ca4X44444\",\"plate_color\":\"1\",\"remain_parking_space\":\"10\"," +
            "\"total_parking_space\":\"100\",\"vehicle_type\":\"1\"}";
    }

    /// <summary>An update record of its own serial and flow number.</summary>
    private static string Update(string serial)
    {
        return "{\"park_uuid\":\"p\",\"flow_no\":\"F" + serial + "\",\"parking_serial\":\"" + serial +
            "\",\"plate\":\"P\"}";
    }

    private static bool WaitFor(Func<bool> cond, int ms)
    {
        DateTime end = DateTime.UtcNow.AddMilliseconds(ms);
        while (DateTime.UtcNow < end)
        {
            if (cond()) return true;
            Thread.Sleep(50);
        }
        return cond();
    }

    public static int Main(string[] args)
    {
        if (args.Length < 4)
        {
            Console.Error.WriteLine("usage: PyunNetTests.exe BASE_URL FAULTY_URL DATA_DIR WORK_DIR");
            return 2;
        }
        string url = args[0], faultyUrl = args[1], data = args[2], work = args[3];
        string secret = Environment.GetEnvironmentVariable("PYUN_APP_SECRET");
        if (string.IsNullOrEmpty(secret)) { Console.Error.WriteLine("PYUN_APP_SECRET is not set"); return 2; }
        string run = "NET" + DateTime.UtcNow.Ticks;
        string enterJson = File.ReadAllText(Path.Combine(data, "enter.json"))
            .Replace("DEMO-20261122-0001", run + "-1");
        string leaveJson = File.ReadAllText(Path.Combine(data, "leave.json"))
            .Replace("DEMO-20261122-0001", run + "-1");
        IDictionary<string, string> gif = PyunClient.Photo("enter_image_file", Path.Combine(data, "enter.gif"));
        IDictionary<string, string> bmp = PyunClient.Photo("leave_image_file", Path.Combine(data, "leave.bmp"));

        Section("json", delegate
        {
            object o = Json.Parse("{\"a\":[1,2.5,\"x\\u4e2d\\n\",true,null],\"b\":{}}");
            IDictionary<string, object> d = (IDictionary<string, object>)o;
            IList<object> a = (IList<object>)d["a"];
            Check(a.Count == 5 && (long)a[0] == 1 && (double)a[1] == 2.5 && (string)a[2] == "x\u4e2d\n" &&
                (bool)a[3] && a[4] == null, "Json.Parse reads an array of each kind");
            Check(Json.Write(o) == "{\"a\":[1,2.5,\"x\u4e2d\\n\",true,null],\"b\":{}}", "Json.Write round trip");
            Throws<FormatException>("Json.Parse refuses \"{\"", delegate { Json.Parse("{"); });
        });

        Section("assembly", delegate
        {
            Check(!PyunLoader.IsWindows && PyunLoader.LoadedPath == null,
                "on Mono/Linux the loader leaves DllImport(\"pyun\") to find libpyun.so");
            Check(PyunLoader.Architecture == (IntPtr.Size == 8 ? "x64" : "x86"), "PyunLoader.Architecture");
            System.Reflection.Assembly asm = typeof(Pyun).Assembly;
            Check(asm.GetName().Name == "Pyun.Net", "the assembly is Pyun.Net, not pyun");
            bool only40 = true;
            string refs = "";
            foreach (System.Reflection.AssemblyName r in asm.GetReferencedAssemblies())
            {
                refs += " " + r.Name + " " + r.Version;
                if ((r.Name != "mscorlib" && r.Name != "System" && r.Name != "System.Core") ||
                    r.Version != new Version(4, 0, 0, 0)) only40 = false;
            }
            Check(only40, "references only mscorlib/System/System.Core 4.0.0.0:" + refs);
        });

        Section("sign", delegate
        {
            Check(!string.IsNullOrEmpty(Pyun.Version), "Pyun.Version: " + Pyun.Version);
            Check(Pyun.Sign(Vector(), "123") == "F58EDB51E299C99BE0E24D84739994CA",
                "page 001's vector: secret 123 gives F58EDB51E299C99BE0E24D84739994CA");
            IDictionary<string, object> parsed = (IDictionary<string, object>)Json.Parse(Vector());
            Dictionary<string, string> fields = new Dictionary<string, string>();
            foreach (KeyValuePair<string, object> kv in parsed) fields[kv.Key] = (string)kv.Value;
            Check(Pyun.Sign(fields, "123") == "F58EDB51E299C99BE0E24D84739994CA", "Sign of a dictionary");
            string canonical = Pyun.CanonicalString(Vector());
            Check(canonical.EndsWith("&app_secret=***") && canonical.StartsWith("car_color=1&car_desc=\u4e34\u65f6\u8f66"),
                "CanonicalString, secret masked: " + canonical.Substring(0, 30));
            MalformedJsonException mj = Throws<MalformedJsonException>("Sign of \"{\\\"a\\\":\" is MalformedJsonException",
                delegate { Pyun.Sign("{\"a\":", "123"); });
            Check(mj != null && mj.Code == PyunResult.MalformedJson && mj is PyunArgumentException && mj is PyunException,
                "MalformedJsonException: Code and hierarchy");
            Throws<ConfigException>("an empty secret is ConfigException", delegate { Pyun.Sign("{}", ""); });
            Check(Pyun.LastErrorMessage().Length > 0, "LastErrorMessage after a failure");
        });

        Section("local time", delegate
        {
            long ms = Pyun.EpochMs(new DateTime(2021, 6, 28, 18, 5, 32, 253));
            Check(Pyun.EpochMs(new DateTime(2021, 6, 29, 18, 5, 32, 253)) - ms == 86400000L,
                "EpochMs: a day later is 86400000 ms later");
            DateTime utc = new DateTime(1970, 1, 1, 0, 0, 0, DateTimeKind.Utc).AddMilliseconds(ms);
            Check(utc.ToLocalTime() == new DateTime(2021, 6, 28, 18, 5, 32, 253),
                "EpochMs agrees with .NET's own time zone: " + ms);
            Check(Pyun.JsonField("[{\"seqno\":\"S1\"}]", "0.seqno") == "S1"
                && Pyun.JsonField("{\"hint\":null}", "hint") == null, "JsonField");
            Throws<PyunArgumentException>("EpochMs of 1970 is PyunArgumentException",
                delegate { Pyun.EpochMs(new DateTime(1970, 1, 2)); });
        });

        Section("verify", delegate
        {
            string push = Pyun.SignPush("{\"parking_serial\":\"" + run + "\",\"paid_value\":\"900\"}", secret, "app-1");
            Check(push.Contains("\"sign\""), "SignPush adds a sign");
            Check(Pyun.Verify(push, secret) == 1, "Verify of a signed push: rule 1");
            string tampered = push.Replace("\"900\"", "\"9000\"");
            Throws<SignatureException>("Verify of a tampered push is SignatureException",
                delegate { Pyun.Verify(tampered, secret); });
            Check(!Pyun.TryVerify(tampered, secret) && Pyun.TryVerify(push, secret), "TryVerify");
            SignatureException se = null;
            try { Pyun.Verify(push, WrongSecret); } catch (SignatureException e) { se = e; }
            Check(se != null && !se.Message.Contains(WrongSecret), "a wrong secret is not in the message");

            // Received pushes as the receiver gets them: Content-Type and the body's bytes.
            string payment = Pyun.SignPush("{\"pay_serial\":\"" + run + "-p\",\"paid_value\":\"900\"," +
                "\"plate\":\"\u7ca4B12345\"}", secret, "app-1");
            byte[] body = Encoding.UTF8.GetBytes(payment);
            ReceivedPush rp = Pyun.VerifyPushRequest("application/json", body, secret);
            Check(rp.Rule == 1 && rp.Encoding == "json" && rp.Key == run + "-p",
                "VerifyPushRequest of a JSON body: rule " + rp.Rule + ", " + rp.Encoding + ", key " + rp.Key);
            Check(rp.Fields["paid_value"] == "900" && rp.Fields["plate"] == "\u7ca4B12345" &&
                rp.Fields.ContainsKey("sign"), "ReceivedPush.Fields: the fields in Unicode, sign included");
            StringBuilder form = new StringBuilder();
            foreach (KeyValuePair<string, string> kv in rp.Fields)
            {
                if (form.Length > 0) form.Append('&');
                form.Append(Uri.EscapeDataString(kv.Key)).Append('=').Append(Uri.EscapeDataString(kv.Value));
            }
            ReceivedPush rf = Pyun.VerifyPushRequest("application/x-www-form-urlencoded; charset=UTF-8",
                Encoding.ASCII.GetBytes(form.ToString()), secret);
            Check(rf.Rule == 1 && rf.Encoding == "form" && rf.Fields["plate"] == "\u7ca4B12345",
                "VerifyPushRequest of the urlencoded body: " + rf.Encoding);
            ReceivedPush sniffed = Pyun.ParsePushRequest(null, body);
            Check(sniffed.Rule == 0 && sniffed.Encoding == "json" && sniffed.Key == run + "-p",
                "ParsePushRequest without a Content-Type sniffs JSON; nothing verified (rule 0)");
            byte[] altered = Encoding.UTF8.GetBytes(payment.Replace("\"900\"", "\"9000\""));
            Check(Pyun.ParsePushRequest("application/json", altered).Fields["paid_value"] == "9000",
                "ParsePushRequest reads an altered push as it is");
            Throws<SignatureException>("VerifyPushRequest of an altered push is SignatureException",
                delegate { Pyun.VerifyPushRequest("application/json", altered, secret); });
            SignatureException wrongPush = Throws<SignatureException>(
                "VerifyPushRequest with another secret is SignatureException",
                delegate { Pyun.VerifyPushRequest("application/json", body, WrongSecret); });
            Check(wrongPush != null && !wrongPush.Message.Contains(WrongSecret),
                "VerifyPushRequest: the secret is not in the message");
            Throws<MalformedJsonException>("ParsePushRequest of a JSON array is MalformedJsonException",
                delegate { Pyun.ParsePushRequest("application/json", Encoding.ASCII.GetBytes("[1]")); });
            PyunArgumentException empty = Throws<PyunArgumentException>(
                "VerifyPushRequest of no body (null) is PyunArgumentException",
                delegate { Pyun.VerifyPushRequest("application/x-www-form-urlencoded", null, secret); });
            Check(empty != null && empty.Message.Contains("empty"), "the message says the body is empty");
        });

        Section("push", delegate
        {
            using (PyunClient client = new PyunClient(secret, url))
            {
                PushResult r = client.Push("enter", enterJson, gif);
                Check(r.Outcome == PyunOutcome.Accepted, "enter with a photo accepted: " + r.Outcome);
                Check(!string.IsNullOrEmpty(r.Seqno) && r.Attempts >= 1 && r.Sign != null && r.Sign.Length == 32,
                    "PushResult: seqno " + r.Seqno + ", attempts " + r.Attempts);
                Check(r.Endpoint == "enter" && r.Code != null && r.Canonical.Contains("app_secret=***") &&
                    !r.Json.Contains(secret), "PushResult: endpoint, code " + r.Code + ", canonical masked");
                PushResult l = client.Push("leave", leaveJson, bmp);
                Check(l.Outcome == PyunOutcome.Accepted && l.Diagnosis == null, "leave with a photo accepted");
                Throws<ValidationException>("a record without its fields is ValidationException",
                    delegate { client.Push("enter", "{\"plate\":\"x\"}"); });
                Throws<PyunArgumentException>("an unknown endpoint is PyunArgumentException",
                    delegate { client.Push("gate", enterJson); });
                Throws<PhotoFileException>("a missing photo is PhotoFileException", delegate
                {
                    client.Push("enter", enterJson, PyunClient.Photo("enter_image_file", Path.Combine(work, "missing.gif")));
                });

                using (PyunRequest req = client.BuildRequest("enter", enterJson, gif))
                {
                    RequestInfo info = req.Info;
                    byte[] body = req.Body;
                    Check(info.Url.StartsWith(url) && info.ContentType.Length > 0 && info.Sign.Length == 32,
                        "BuildRequest: " + info.Url + " " + info.ContentType);
                    Check(body.Length == info.ContentLength && body.Length > 0, "request body: " + body.Length + " bytes");
                    Check(info.Fields.ContainsKey("plate") && info.Fields["plate"] == "\u7ca4B12345",
                        "request fields hold the plate in Unicode");
                    req.Dispose();
                    req.Dispose();
                    Check(true, "PyunRequest disposed twice");
                    Throws<ObjectDisposedException>("PyunRequest.Info after Dispose", delegate { RequestInfo x = req.Info; });
                }
            }
            // A wrong secret: ignored with a diagnosis, or refused when strict.
            using (PyunClient wrong = new PyunClient(WrongSecret, url))
            {
                PushResult r = wrong.Push("enter", enterJson, gif);
                Check(r.Outcome == PyunOutcome.Ignored && r.Diagnosis != null && r.Diagnosis.Cause == "wrong_secret",
                    "a wrong secret: Ignored, diagnosis wrong_secret");
                // The fields exactly as sent (photo hash included), from a built request.
                string sent;
                using (PyunRequest req = wrong.BuildRequest("enter", enterJson, gif)) sent = Json.Write(req.Info.Fields);
                Explanation ex = Pyun.Explain(r.Hint, null, sent);
                Check(ex.Cause == "wrong_secret" && !string.IsNullOrEmpty(ex.Summary), "Pyun.Explain of the hint: " + ex.Cause);
                Explanation ex2 = Pyun.Explain(r.Hint, "enter", enterJson);
                Check(ex2.Cause == "fields_differ" && ex2.OnlyPlatform.Count + ex2.Differing.Count > 0,
                    "Pyun.Explain against the record without its photo hash: fields_differ");
                Explanation ex3 = Pyun.Explain(r.Hint, "enter", enterJson, gif);
                Check(ex3.Cause == "wrong_secret",
                    "Pyun.Explain with the photo given as to Push: wrong_secret: " + ex3.Cause);
            }
            PyunClientOptions opt = new PyunClientOptions();
            opt.AppSecret = WrongSecret;
            opt.BaseUrl = url;
            opt.Strict = true;
            using (PyunClient strict = new PyunClient(opt))
            {
                RejectedException re = Throws<RejectedException>("a wrong secret, strict: RejectedException",
                    delegate { strict.Push("enter", enterJson, gif); });
                Check(re != null && re.Code == PyunResult.Rejected && re.Result != null &&
                    re.Result.Diagnosis != null && re.Result.Diagnosis.Cause == "wrong_secret",
                    "RejectedException.Result: outcome and diagnosis wrong_secret");
                Check(re != null && !re.Message.Contains(WrongSecret) && !re.Result.Json.Contains(WrongSecret),
                    "the secret is neither in the exception nor the result");
            }
            opt = new PyunClientOptions();
            opt.AppSecret = secret;
            opt.BaseUrl = "http://127.0.0.1:1";
            opt.MaxAttempts = 1;
            opt.ConnectTimeoutMs = 1000;
            using (PyunClient down = new PyunClient(opt))
            {
                Throws<TransportException>("no server: TransportException", delegate { down.Push("enter", enterJson); });
            }
            opt = new PyunClientOptions();
            opt.AppSecret = "";
            Throws<ConfigException>("a client with an empty secret: ConfigException", delegate { new PyunClient(opt); });
        });

        Section("dispose", delegate
        {
            PyunClient c = new PyunClient(secret, url);
            c.Dispose();
            c.Dispose();
            Check(c.IsDisposed, "PyunClient disposed twice");
            Throws<ObjectDisposedException>("PyunClient.Push after Dispose", delegate { c.Push("enter", enterJson); });
            Throws<ObjectDisposedException>("PyunClient.BuildRequest after Dispose",
                delegate { c.BuildRequest("enter", enterJson, null); });
            PyunOutbox o = new PyunOutbox(Path.Combine(work, run + "-disposed.db"));
            o.Dispose();
            o.Dispose();
            Check(o.IsDisposed, "PyunOutbox disposed twice");
            Throws<ObjectDisposedException>("PyunOutbox.Counts after Dispose", delegate { o.Counts(); });
            Throws<ObjectDisposedException>("PyunOutbox.Enqueue after Dispose", delegate { o.Enqueue("enter", enterJson); });
            using (PyunClient live = new PyunClient(secret, url))
                Throws<ObjectDisposedException>("StartSender on a disposed outbox", delegate { o.StartSender(live); });
            Throws<StoreException>("an outbox on a file that is not one: StoreException", delegate
            {
                string junk = Path.Combine(work, run + "-junk.db");
                File.WriteAllText(junk, "this is not a database, just some text long enough to matter");
                new PyunOutbox(junk);
            });
        });

        Section("log", delegate
        {
            List<string> lines = new List<string>();
            object gate = new object();
            PyunLog.SetCallback(delegate(PyunLogLevel level, string target, string message)
            {
                lock (gate) lines.Add(level + " " + target + ": " + message);
            }, PyunLogLevel.Debug);
            string logFile = Path.Combine(work, run + "-pyun.log");
            PyunLog.SetFile(logFile, PyunLogLevel.Debug, 1 << 20);
            // Garbage collection must not free the callback pyun holds.
            GC.Collect();
            GC.WaitForPendingFinalizers();
            using (PyunClient client = new PyunClient(secret, url))
                client.Push("update", Update(run + "-log"));
            PyunLog.SetCallback(null, PyunLogLevel.Off);
            PyunLog.SetFile(null, PyunLogLevel.Off, 0);
            int n;
            bool leaked = false;
            lock (gate)
            {
                n = lines.Count;
                foreach (string s in lines) if (s.Contains(secret)) leaked = true;
            }
            Check(n > 0, "the log callback got " + n + " records");
            Check(!leaked, "no log record holds the secret");
            Check(File.Exists(logFile) && new FileInfo(logFile).Length > 0 &&
                !File.ReadAllText(logFile).Contains(secret), "the log file was written, without the secret");
            using (PyunClient client = new PyunClient(secret, url))
                client.Push("update", Update(run + "-log2"));
            lock (gate) Check(lines.Count == n, "no records after the callback was turned off");
        });

        Section("outbox", delegate
        {
            const int N = 30;
            string db = Path.Combine(work, run + "-outbox.db");
            using (PyunClient client = new PyunClient(secret, faultyUrl))
            using (PyunOutbox outbox = new PyunOutbox(db))
            {
                long first = outbox.Enqueue("enter", enterJson.Replace(run + "-1", run + "-ob"), gif);
                Check(first > 0, "Enqueue with a photo: id " + first);
                RecordStatus head = outbox.Head();
                Check(head != null && head.Id == first && head.State == "pending", "Head: the pending record");
                Throws<ValidationException>("Enqueue of an invalid record: ValidationException",
                    delegate { outbox.Enqueue("enter", "{\"plate\":\"x\"}"); });
                List<long> ids = new List<long>();
                ids.Add(first);
                for (int i = 0; i < N - 1; i++)
                    ids.Add(outbox.Enqueue("update", Update(run + "-u" + i)));
                Check(outbox.Counts().Pending == N, "Counts: " + N + " pending");

                Dictionary<long, int> seen = new Dictionary<long, int>();
                long lastSeq = 0;
                int badOrder = 0;
                object gate = new object();
                using (PyunSender sender = outbox.StartSender(client, 50, delegate(DeliveryEvent e)
                {
                    lock (gate)
                    {
                        if (e.Seq <= lastSeq) badOrder++;
                        lastSeq = e.Seq;
                        if (e.Kind == "accepted")
                        {
                            int c;
                            seen.TryGetValue(e.RecordId, out c);
                            seen[e.RecordId] = c + 1;
                        }
                    }
                    if (e.RecordId % 7 == 0) throw new InvalidOperationException("a callback that throws");
                }, 0))
                {
                    Check(sender.IsRunning, "the sender runs");
                    for (int i = 0; i < 5; i++) { GC.Collect(); GC.WaitForPendingFinalizers(); Thread.Sleep(20); }
                    bool done = WaitFor(delegate { return outbox.Counts().Done == N; }, 120000);
                    Check(done, "the sender delivered all " + N + " through the faulty sandbox: " + outbox.Counts().Json);
                    WaitFor(delegate { lock (gate) return seen.Count == N; }, 5000);
                    sender.Dispose();
                    sender.Dispose();
                    Check(!sender.IsRunning, "the sender stopped (disposed twice)");
                }
                lock (gate)
                {
                    bool once = seen.Count == N;
                    foreach (long id in ids) { int c; once &= seen.TryGetValue(id, out c) && c == 1; }
                    Check(once, "the callback saw each acceptance once (" + seen.Count + "), despite throwing");
                    Check(badOrder == 0, "callback events in order");
                }
                IList<DeliveryEvent> events = outbox.Events(0, 10000);
                int accepted = 0;
                foreach (DeliveryEvent e in events) if (e.Kind == "accepted") accepted++;
                Check(accepted == N, "Events(0): " + accepted + " accepted");
                Check(outbox.Events(events[events.Count - 1].Seq, 10).Count == 0, "Events after the last: none");
                RecordStatus st = outbox.Record(first);
                Check(st != null && st.State == "done" && !string.IsNullOrEmpty(st.Seqno) && st.Endpoint == "enter" &&
                    st.Key == run + "-ob" && st.FinishedMs.HasValue && st.Attempts >= 1,
                    "Record: done, seqno " + (st == null ? null : st.Seqno));
                Check(outbox.Record(first + 1000000) == null, "Record of an unknown id: null");
                IList<RecordStatus> found = outbox.Find(run + "-u3");
                Check(found.Count == 1 && found[0].State == "done", "Find by serial");
                Check(outbox.Head() == null, "Head: null when nothing is pending");

                // A wrong secret makes a dead letter; retried and drained with the right one, it goes through.
                long bad = outbox.Enqueue("update", Update(run + "-dead"));
                PyunClientOptions opt = new PyunClientOptions();
                opt.AppSecret = WrongSecret;
                opt.BaseUrl = url;
                opt.Strict = true;
                using (PyunClient wrong = new PyunClient(opt))
                {
                    DrainReport rep = outbox.Drain(wrong);
                    Check(rep.Dead == 1 && rep.Accepted == 0, "Drain with a wrong secret: 1 dead: " + rep.Json);
                }
                IList<DeadLetter> dead = outbox.DeadLetters();
                Check(dead.Count == 1 && dead[0].Id == bad && !string.IsNullOrEmpty(dead[0].Error) &&
                    !dead[0].Json.Contains(WrongSecret), "DeadLetters: the record, without the secret");
                Check(dead.Count == 1 && dead[0].Diagnosis != null && dead[0].Diagnosis.Contains("app_secret differs") &&
                    dead[0].Response.Contains("\"401\""), "the dead letter's diagnosis and response: a wrong secret");
                Check(outbox.Record(bad).State == "dead", "Record: dead");
                Check(outbox.RetryDead(bad) == 1 && outbox.RetryAllDead() == 0, "RetryDead / RetryAllDead");
                using (PyunClient right = new PyunClient(secret, url))
                {
                    DrainReport rep = outbox.Drain(right);
                    Check(rep.Accepted == 1 && rep.Pending == 0, "Drain with the right secret: accepted " + rep.Json);
                }
                OutboxCounts counts = outbox.Counts();
                Check(counts.Done == N + 1 && counts.Dead == 0 && counts.Pending == 0, "Counts at the end: " + counts.Json);

                // A sender keeps the outbox and client alive: disposing them first is safe.
                PyunClient c2 = new PyunClient(secret, url);
                PyunOutbox o2 = new PyunOutbox(db);
                PyunSender s2 = o2.StartSender(c2, 20, null, 0);
                long late = o2.Enqueue("update", Update(run + "-late"));
                o2.Dispose();
                c2.Dispose();
                Throws<ObjectDisposedException>("the disposed outbox refuses calls while its sender runs",
                    delegate { o2.Counts(); });
                Check(WaitFor(delegate { RecordStatus r = outbox.Record(late); return r != null && r.State == "done"; }, 30000),
                    "the sender of a disposed outbox and client still delivers");
                s2.Dispose();
                Check(!s2.IsRunning, "then stops");
            }
        });

        Console.WriteLine(passed + " passed, " + failed + " failed");
        return failed == 0 ? 0 : 1;
    }
}
