// Pyun.cs: signing, verification, explain, the log sink, and PyunClient / PyunRequest.
//
//   using (PyunClient client = new PyunClient(secret, "https://api.4pyun.com"))
//   {
//       PushResult r = client.Push("leave", File.ReadAllText("leave.json"),
//           PyunClient.Photo("leave_image_file", @"C:\photos\1.jpg"));
//       Console.WriteLine(r.Outcome + " " + r.Seqno);
//   }
//
// All strings cross as UTF-8 (charset 65001); .NET strings are Unicode, so GBK never matters
// here. A PyunClient is thread-safe (share one per parking lot and secret).
using System;
using System.Collections.Generic;
using System.Runtime.InteropServices;
using System.Threading;

namespace PyunNet
{
    /// <summary>Signing and verification of page 001's MD5 sign, and explain.</summary>
    public static class Pyun
    {
        /// <summary>The native library version, e.g. "0.1.0".</summary>
        public static string Version
        {
            get
            {
                PyunLoader.EnsureLoaded();
                return NativeMethods.FromUtf8(NativeMethods.pyun_version());
            }
        }

        /// <summary>The 32-character uppercase MD5 sign of a flat JSON object of fields.</summary>
        public static string Sign(string fieldsJson, string appSecret)
        {
            PyunLoader.EnsureLoaded();
            IntPtr s;
            NativeMethods.Check(NativeMethods.pyun_sign(NativeMethods.Utf8(fieldsJson),
                NativeMethods.Utf8(appSecret), NativeMethods.CharsetUtf8, out s));
            return NativeMethods.Take(s);
        }

        /// <summary>Sign of a dictionary of fields.</summary>
        public static string Sign(IDictionary<string, string> fields, string appSecret)
        {
            return Sign(Json.Write(fields), appSecret);
        }

        /// <summary>The canonical string, secret masked (&amp;app_secret=***): safe to log.</summary>
        public static string CanonicalString(string fieldsJson)
        {
            PyunLoader.EnsureLoaded();
            IntPtr s;
            NativeMethods.Check(NativeMethods.pyun_canonical_string(NativeMethods.Utf8(fieldsJson),
                NativeMethods.CharsetUtf8, out s));
            return NativeMethods.Take(s);
        }

        /// <summary>Verifies a received push (JSON object or the urlencoded body): returns the
        /// rule that holds (1: empty values signed; 2: skipped, the older rule); throws
        /// SignatureException when the signature does not verify.</summary>
        public static int Verify(string push, string appSecret)
        {
            PyunLoader.EnsureLoaded();
            int rule;
            NativeMethods.Check(NativeMethods.pyun_verify(NativeMethods.Utf8(push),
                NativeMethods.Utf8(appSecret), NativeMethods.CharsetUtf8, out rule));
            return rule;
        }

        /// <summary>true when the push's signature holds (false instead of SignatureException).</summary>
        public static bool TryVerify(string push, string appSecret)
        {
            try { Verify(push, appSecret); return true; }
            catch (SignatureException) { return false; }
        }

        /// <summary>A correctly signed platform push (for testing a receiver), as JSON.</summary>
        public static string SignPush(string fieldsJson, string appSecret, string appId)
        {
            PyunLoader.EnsureLoaded();
            IntPtr s;
            NativeMethods.Check(NativeMethods.pyun_sign_push(NativeMethods.Utf8(fieldsJson),
                NativeMethods.Utf8(appSecret), NativeMethods.Utf8(appId),
                NativeMethods.CharsetUtf8, out s));
            return NativeMethods.Take(s);
        }

        /// <summary>One field of a JSON text pyun returned, by a path of names and indexes
        /// joined by dots ("hint", "0.seqno", "length" of an array): a string unquoted, other
        /// values as JSON; null when absent or null. Pyun.Net's typed results (PushResult,
        /// DeliveryEvent, ...) already carry the fields; this reads any other.</summary>
        public static string JsonField(string json, string path)
        {
            PyunLoader.EnsureLoaded();
            int found;
            IntPtr s;
            NativeMethods.Check(NativeMethods.pyun_json_field(NativeMethods.Utf8(json),
                NativeMethods.Utf8(path), NativeMethods.CharsetUtf8, out found, out s));
            string value = NativeMethods.Take(s);
            return found != 0 ? value : null;
        }

        /// <summary>A local DateTime (this computer's clock, as DateTime.Now gives it) as the
        /// epoch milliseconds the platform wants for enter_time / leave_time, by the operating
        /// system's time zone, as the VB6 and Delphi kits convert theirs. Throws
        /// ArgumentException for a time before 1973.</summary>
        public static long EpochMs(DateTime localTime)
        {
            PyunLoader.EnsureLoaded();
            long ms;
            NativeMethods.Check(NativeMethods.pyun_epoch_ms_from_local(localTime.Year,
                (uint)localTime.Month, (uint)localTime.Day, (uint)localTime.Hour,
                (uint)localTime.Minute, (uint)localTime.Second, (uint)localTime.Millisecond,
                out ms));
            return ms;
        }

        /// <summary>Explains a platform hint against the record sent (endpoint null: flat fields).</summary>
        public static Explanation Explain(string hint, string endpoint, string recordJson)
        {
            PyunLoader.EnsureLoaded();
            IntPtr s;
            NativeMethods.Check(NativeMethods.pyun_explain(NativeMethods.Utf8(hint),
                NativeMethods.Utf8(endpoint), NativeMethods.Utf8(recordJson),
                NativeMethods.CharsetUtf8, out s));
            return new Explanation(NativeMethods.Take(s));
        }

        /// <summary>Explains a platform hint against a record pushed with photos: files as given
        /// to PyunClient.Push (null: none). Each photo's MD5 becomes the *_hash field the
        /// platform signed; without them a push with photos and a wrong secret looks like
        /// "the platform saw other fields".</summary>
        public static Explanation Explain(string hint, string endpoint, string recordJson,
            IDictionary<string, string> files)
        {
            PyunLoader.EnsureLoaded();
            IntPtr s;
            NativeMethods.Check(NativeMethods.pyun_explain_files(NativeMethods.Utf8(hint),
                NativeMethods.Utf8(endpoint), NativeMethods.Utf8(recordJson),
                PyunClient.FilesJson(files), NativeMethods.CharsetUtf8, out s));
            return new Explanation(NativeMethods.Take(s));
        }

        /// <summary>Reads a push your receiver got: contentType the request's Content-Type header
        /// (null or "": sniffed from the body), body its bytes as received (a urlencoded body's
        /// charset comes from the Content-Type). Nothing is verified (Rule is 0): see
        /// VerifyPushRequest.</summary>
        public static ReceivedPush ParsePushRequest(string contentType, byte[] body)
        {
            PyunLoader.EnsureLoaded();
            IntPtr s;
            NativeMethods.Check(NativeMethods.pyun_parse_push_request(NativeMethods.Utf8(contentType),
                body, BodyLength(body), NativeMethods.CharsetUtf8, out s));
            return new ReceivedPush(NativeMethods.Take(s), 0);
        }

        /// <summary>Reads and verifies a push your receiver got (arguments as ParsePushRequest);
        /// throws SignatureException when its signature does not hold (a wrong secret, altered
        /// fields, no sign). Answer the platform {"code":"1001"} only after the push is
        /// handled.</summary>
        public static ReceivedPush VerifyPushRequest(string contentType, byte[] body, string appSecret)
        {
            PyunLoader.EnsureLoaded();
            int rule;
            IntPtr s;
            NativeMethods.Check(NativeMethods.pyun_verify_push_request(
                NativeMethods.Utf8(contentType), body, BodyLength(body),
                NativeMethods.Utf8(appSecret), NativeMethods.CharsetUtf8, out rule, out s));
            return new ReceivedPush(NativeMethods.Take(s), rule);
        }

        private static UIntPtr BodyLength(byte[] body)
        {
            return new UIntPtr((uint)(body == null ? 0 : body.Length));
        }

        /// <summary>This thread's last pyun error message ("" after a success).</summary>
        public static string LastErrorMessage()
        {
            PyunLoader.EnsureLoaded();
            return NativeMethods.LastErrorMessage();
        }
    }

    /// <summary>pyun_explain's diagnosis of a hint.</summary>
    public sealed class Explanation
    {
        /// <summary>"wrong_secret", "fields_differ", "missing_parameter" or "unrecognised".</summary>
        public string Cause { get; private set; }
        public string Summary { get; private set; }
        public IList<string> Differing { get; private set; }
        public IList<string> OnlyLocal { get; private set; }
        public IList<string> OnlyPlatform { get; private set; }
        /// <summary>The whole JSON pyun returned.</summary>
        public string Json { get; private set; }

        internal Explanation(string json)
        {
            Json = json;
            JsonObject o = JsonObject.Of(json);
            Cause = o.Str("cause");
            Summary = o.Str("summary");
            Differing = o.StringList("differing");
            OnlyLocal = o.StringList("only_local");
            OnlyPlatform = o.StringList("only_platform");
        }
    }

    /// <summary>A push the platform sent to your receiver, as pyun read it from the request.</summary>
    public sealed class ReceivedPush
    {
        /// <summary>How the body was encoded: "form", "multipart" or "json".</summary>
        public string Encoding { get; private set; }
        /// <summary>"payment", "leave" or "unknown".</summary>
        public string Kind { get; private set; }
        /// <summary>What identifies the push (its serial), to handle each one once.</summary>
        public string Key { get; private set; }
        /// <summary>The push's fields, as received.</summary>
        public IDictionary<string, string> Fields { get; private set; }
        /// <summary>The signing rule that holds: 1 (empty values signed, the current rule) or 2
        /// (skipped, the older rule); 0 from ParsePushRequest (not verified).</summary>
        public int Rule { get; private set; }
        /// <summary>The whole JSON pyun returned.</summary>
        public string Json { get; private set; }

        internal ReceivedPush(string json, int rule)
        {
            Json = json;
            Rule = rule;
            JsonObject o = JsonObject.Of(json);
            Encoding = o.Str("encoding");
            Kind = o.Str("kind");
            Key = o.Str("key");
            Fields = o.StringMap("fields");
        }
    }

    /// <summary>What the platform answered to a push (pyun_client_push's result JSON).</summary>
    public sealed class PushResult
    {
        public PyunOutcome Outcome { get; private set; }
        public string Endpoint { get; private set; }
        /// <summary>The platform's code ("1001" ...), as text.</summary>
        public string Code { get; private set; }
        public string Message { get; private set; }
        public string Hint { get; private set; }
        public string Seqno { get; private set; }
        public int? HttpStatus { get; private set; }
        public int Attempts { get; private set; }
        public long ElapsedMs { get; private set; }
        /// <summary>The canonical string sent, secret masked.</summary>
        public string Canonical { get; private set; }
        public string Sign { get; private set; }
        /// <summary>explain's diagnosis when ignored or refused (null otherwise).</summary>
        public Explanation Diagnosis { get; private set; }
        /// <summary>A refusal's retry_after_s (429), else null.</summary>
        public double? RetryAfterSeconds { get; private set; }
        /// <summary>A refusal's error text, else null.</summary>
        public string Error { get; private set; }
        /// <summary>The whole JSON pyun returned.</summary>
        public string Json { get; private set; }

        internal PushResult(PyunOutcome outcome, string json)
        {
            Outcome = outcome;
            Json = json;
            JsonObject o = JsonObject.Of(json);
            Endpoint = o.Str("endpoint");
            Code = o.Str("code");
            Message = o.Str("message");
            Hint = o.Str("hint");
            Seqno = o.Str("seqno");
            long? hs = o.Long("http_status");
            HttpStatus = hs.HasValue ? (int?)(int)hs.Value : null;
            Attempts = (int)o.LongOr0("attempts");
            ElapsedMs = o.LongOr0("elapsed_ms");
            Canonical = o.Str("canonical");
            Sign = o.Str("sign");
            object d = o.Raw("diagnosis");
            if (d is IDictionary<string, object>) Diagnosis = new Explanation(PyunNet.Json.Write(d));
            RetryAfterSeconds = o.Double("retry_after_s");
            Error = o.Str("error");
        }
    }

    /// <summary>The options of a client (pyun_client_new's JSON); only AppSecret is required.</summary>
    public sealed class PyunClientOptions
    {
        public string AppSecret;
        public string BaseUrl;
        public string AppId;
        public string ApiType;
        public bool? UrlEncoding;
        /// <summary>true: an ignored record (success code with a hint) throws RejectedException.</summary>
        public bool? Strict;
        public int? TimeoutMs;
        public int? ConnectTimeoutMs;
        public int? MaxAttempts;
        public int? InitialBackoffMs;
        public int? MaxBackoffMs;
        public string Proxy;
        public string CaFile;

        internal string ToJson()
        {
            Dictionary<string, object> d = new Dictionary<string, object>();
            d["app_secret"] = AppSecret;
            if (BaseUrl != null) d["base_url"] = BaseUrl;
            if (AppId != null) d["app_id"] = AppId;
            if (ApiType != null) d["api_type"] = ApiType;
            if (UrlEncoding.HasValue) d["url_encoding"] = UrlEncoding.Value;
            if (Strict.HasValue) d["strict"] = Strict.Value;
            if (TimeoutMs.HasValue) d["timeout_ms"] = TimeoutMs.Value;
            if (ConnectTimeoutMs.HasValue) d["connect_timeout_ms"] = ConnectTimeoutMs.Value;
            if (MaxAttempts.HasValue) d["max_attempts"] = MaxAttempts.Value;
            if (InitialBackoffMs.HasValue) d["initial_backoff_ms"] = InitialBackoffMs.Value;
            if (MaxBackoffMs.HasValue) d["max_backoff_ms"] = MaxBackoffMs.Value;
            if (Proxy != null) d["proxy"] = Proxy;
            if (CaFile != null) d["ca_file"] = CaFile;
            return Json.Write(d);
        }
    }

    /// <summary>A client for one parking lot and secret; thread-safe; dispose it when done.</summary>
    public sealed class PyunClient : IDisposable
    {
        internal readonly ClientHandle Handle;

        /// <summary>A client with the secret and base URL (null: https://api.4pyun.com).</summary>
        public PyunClient(string appSecret, string baseUrl)
            : this(new PyunClientOptions { AppSecret = appSecret, BaseUrl = baseUrl })
        {
        }

        public PyunClient(PyunClientOptions options) : this(options.ToJson(), true) { }

        private PyunClient(string configJson, bool unused)
        {
            PyunLoader.EnsureLoaded();
            ClientHandle h;
            PyunResult rc = NativeMethods.pyun_client_new(NativeMethods.Utf8(configJson),
                NativeMethods.CharsetUtf8, out h);
            if (rc != PyunResult.Ok)
            {
                if (h != null) h.Dispose();
                NativeMethods.Check(rc);
            }
            Handle = h;
        }

        /// <summary>A client from pyun_client_new's full JSON configuration.</summary>
        public static PyunClient FromConfigJson(string configJson)
        {
            return new PyunClient(configJson, true);
        }

        /// <summary>One photo, e.g. Photo("leave_image_file", @"C:\photos\1.jpg").</summary>
        public static IDictionary<string, string> Photo(string field, string path)
        {
            Dictionary<string, string> d = new Dictionary<string, string>();
            d[field] = path;
            return d;
        }

        internal static byte[] FilesJson(IDictionary<string, string> files)
        {
            return files == null || files.Count == 0 ? null : NativeMethods.Utf8(Json.Write(files));
        }

        /// <summary>Validates, signs and sends a record (blocks until the platform answers or
        /// the retries are exhausted). Returns when accepted (or ignored, unless strict);
        /// throws RejectedException (with the PushResult) when refused, TransportException,
        /// ValidationException, PhotoFileException ... otherwise.</summary>
        public PushResult Push(string endpoint, string recordJson, IDictionary<string, string> files)
        {
            PyunOutcome outcome;
            IntPtr json;
            PyunResult rc = NativeMethods.pyun_client_push(H, NativeMethods.Utf8(endpoint),
                NativeMethods.Utf8(recordJson), FilesJson(files), out outcome, out json);
            if (rc == PyunResult.Ok) return new PushResult(outcome, NativeMethods.Take(json));
            if (rc == PyunResult.Rejected)
            {
                string message = NativeMethods.LastErrorMessage();
                throw PyunException.Create(rc, message, new PushResult(outcome, NativeMethods.Take(json)));
            }
            throw PyunException.Create(rc, NativeMethods.LastErrorMessage(), null);
        }

        public PushResult Push(string endpoint, string recordJson)
        {
            return Push(endpoint, recordJson, null);
        }

        /// <summary>Push of a record given as a dictionary of the platform's field names.</summary>
        public PushResult Push(string endpoint, IDictionary<string, object> record,
            IDictionary<string, string> files)
        {
            return Push(endpoint, Json.Write(record), files);
        }

        /// <summary>Validates and signs a record without sending it (for your own HTTP code).</summary>
        public PyunRequest BuildRequest(string endpoint, string recordJson,
            IDictionary<string, string> files)
        {
            RequestHandle h;
            PyunResult rc = NativeMethods.pyun_client_build_request(H,
                NativeMethods.Utf8(endpoint), NativeMethods.Utf8(recordJson), FilesJson(files), out h);
            if (rc != PyunResult.Ok)
            {
                string message = NativeMethods.LastErrorMessage();
                if (h != null) h.Dispose();
                throw PyunException.Create(rc, message, null);
            }
            return new PyunRequest(h);
        }

        public bool IsDisposed { get { return disposed; } }

        private volatile bool disposed;

        /// <summary>The handle, or ObjectDisposedException once Dispose was called (also while
        /// a sender still holds the native handle open).</summary>
        internal ClientHandle H
        {
            get
            {
                if (disposed) throw new ObjectDisposedException(GetType().Name);
                return Handle;
            }
        }


        /// <summary>Frees the native client (waits for calls running on it). Idempotent.</summary>
        public void Dispose() { disposed = true; Handle.Dispose(); }
    }

    /// <summary>A signed request that was built but not sent. Dispose it when done.</summary>
    public sealed class PyunRequest : IDisposable
    {
        private readonly RequestHandle handle;
        internal PyunRequest(RequestHandle h) { handle = h; }

        /// <summary>POST Url with ContentType and Body.</summary>
        public RequestInfo Info
        {
            get
            {
                IntPtr s;
                NativeMethods.Check(NativeMethods.pyun_request_info(handle, out s));
                return new RequestInfo(NativeMethods.Take(s));
            }
        }

        /// <summary>The exact request body (photos included).</summary>
        public byte[] Body
        {
            get
            {
                IntPtr p;
                UIntPtr len;
                NativeMethods.Check(NativeMethods.pyun_request_body(handle, out p, out len));
                try
                {
                    byte[] b = new byte[(int)len.ToUInt64()];
                    if (b.Length > 0) Marshal.Copy(p, b, 0, b.Length);
                    return b;
                }
                finally { NativeMethods.pyun_bytes_free(p, len); }
            }
        }

        public void Dispose() { handle.Dispose(); }
    }

    /// <summary>pyun_request_info: how to send a built request.</summary>
    public sealed class RequestInfo
    {
        public string Url { get; private set; }
        public string Path { get; private set; }
        public string ContentType { get; private set; }
        public long ContentLength { get; private set; }
        public string Sign { get; private set; }
        /// <summary>Secret masked.</summary>
        public string Canonical { get; private set; }
        public IDictionary<string, string> Fields { get; private set; }
        public string Json { get; private set; }

        internal RequestInfo(string json)
        {
            Json = json;
            JsonObject o = JsonObject.Of(json);
            Url = o.Str("url");
            Path = o.Str("path");
            ContentType = o.Str("content_type");
            ContentLength = o.LongOr0("content_length");
            Sign = o.Str("sign");
            Canonical = o.Str("canonical");
            Fields = o.StringMap("fields");
        }
    }

    /// <summary>pyun's log levels.</summary>
    public enum PyunLogLevel
    {
        Off = 0,
        Error = 1,
        Warn = 2,
        Info = 3,
        Debug = 4,
        Trace = 5,
    }

    /// <summary>A log record handed to the callback of PyunLog.SetCallback.</summary>
    public delegate void PyunLogHandler(PyunLogLevel level, string target, string message);

    /// <summary>pyun's process-wide log sinks: a callback and/or a file.</summary>
    public static class PyunLog
    {
        private static readonly object gate = new object();
        // Every delegate ever handed to pyun stays referenced: a thread inside the old callback
        // may still be running it just after a replacement.
        private static readonly List<NativeLogCallback> keepAlive = new List<NativeLogCallback>();

        /// <summary>Sends pyun's log records up to maxLevel to handler (null or Off: turns it
        /// off). The handler runs on whichever thread logs (the sender thread too): keep it
        /// thread-safe and quick; exceptions it throws are swallowed.</summary>
        public static void SetCallback(PyunLogHandler handler, PyunLogLevel maxLevel)
        {
            PyunLoader.EnsureLoaded();
            lock (gate)
            {
                NativeLogCallback cb = null;
                if (handler != null && maxLevel != PyunLogLevel.Off)
                {
                    cb = delegate(IntPtr userdata, uint level, IntPtr target, IntPtr message)
                    {
                        try
                        {
                            handler((PyunLogLevel)level, NativeMethods.FromUtf8(target),
                                NativeMethods.FromUtf8(message));
                        }
                        catch (Exception) { }
                    };
                    keepAlive.Add(cb);
                }
                NativeMethods.Check(NativeMethods.pyun_log_set_callback(cb, IntPtr.Zero,
                    (uint)maxLevel, NativeMethods.CharsetUtf8));
            }
        }

        /// <summary>Appends log lines up to maxLevel to path (null or Off: off), rotating to
        /// path.1 past maxBytes.</summary>
        public static void SetFile(string path, PyunLogLevel maxLevel, ulong maxBytes)
        {
            PyunLoader.EnsureLoaded();
            NativeMethods.Check(NativeMethods.pyun_log_set_file(NativeMethods.Utf8(path),
                (uint)maxLevel, maxBytes, NativeMethods.CharsetUtf8));
        }
    }
}
