// PyunClient.cs: an idiomatic C# layer over PyunNative.cs.
//
//   using (var client = new PyunClient(secret, "https://api.4pyun.com"))
//   {
//       PushResult r = client.Push("leave", File.ReadAllText("leave.json"),
//           new Dictionary<string, string> { { "leave_image_file", @"C:\photos\1.jpg" } });
//       Console.WriteLine(r.Outcome + " " + r.Json);
//   }
//
// A PyunClient is thread-safe: share one per parking lot and secret between threads.
// Failures throw PyunException with the pyun_result code and pyun's message (never the secret).
using System;
using System.Collections.Generic;
using System.Text;
using Pyun.Native;

namespace Pyun
{
    /// <summary>A failed pyun call: its code and pyun's message.</summary>
    public class PyunException : Exception
    {
        public PyunResult Code { get; private set; }

        public PyunException(PyunResult code, string message)
            : base(message + " (pyun_result " + (int)code + ")")
        {
            Code = code;
        }

        /// <summary>Throws for anything but Ok, with the calling thread's last error message.</summary>
        internal static void Check(PyunResult rc)
        {
            if (rc != PyunResult.Ok) throw new PyunException(rc, NativeMethods.LastErrorMessage());
        }
    }

    /// <summary>What the platform answered to a push.</summary>
    public sealed class PushResult
    {
        public PyunOutcome Outcome { get; private set; }
        /// <summary>{"endpoint", "outcome", "code", "message", "hint", "seqno", "http_status",
        /// "attempts", "canonical" (secret masked), "sign", "diagnosis", "response", ...}</summary>
        public string Json { get; private set; }

        internal PushResult(PyunOutcome outcome, string json)
        {
            Outcome = outcome;
            Json = json;
        }
    }

    /// <summary>Thrown when the platform answered and refused the record.</summary>
    public sealed class PyunRejectedException : PyunException
    {
        public PushResult Result { get; private set; }

        internal PyunRejectedException(string message, PushResult result)
            : base(PyunResult.Rejected, message)
        {
            Result = result;
        }
    }

    /// <summary>A client for one parking lot and secret; dispose it when done.</summary>
    public sealed class PyunClient : IDisposable
    {
        private readonly PyunClientHandle handle;

        /// <summary>A client with the common options; FromConfigJson takes all of them.</summary>
        public PyunClient(string appSecret, string baseUrl)
            : this(Create("{\"app_secret\":" + Json.Quote(appSecret) + ",\"base_url\":" +
                Json.Quote(baseUrl) + "}"))
        {
        }

        private PyunClient(IntPtr client)
        {
            handle = new PyunClientHandle(client);
        }

        /// <summary>A client from pyun's JSON configuration (see pyun_client_new in pyun.h):
        /// {"app_secret", "base_url", "strict", "timeout_ms", "max_attempts", "proxy", ...}.</summary>
        public static PyunClient FromConfigJson(string configJson)
        {
            return new PyunClient(Create(configJson));
        }

        private static IntPtr Create(string configJson)
        {
            IntPtr p = IntPtr.Zero;
            PyunException.Check(NativeMethods.pyun_client_new(NativeMethods.Utf8(configJson),
                NativeMethods.CharsetUtf8, ref p));
            return p;
        }

        /// <summary>The library's version, e.g. "0.1.0".</summary>
        public static string Version
        {
            get { return NativeMethods.FromUtf8(NativeMethods.pyun_version()); }
        }

        /// <summary>Validates, signs and sends a record ("enter", "leave", "release", "update")
        /// with its photos (form field name to path). Returns when the platform accepted it (or
        /// ignored it, outside strict mode: see Outcome); throws PyunRejectedException when it
        /// refused it, PyunException for anything else (nothing was accepted).</summary>
        public PushResult Push(string endpoint, string recordJson, IDictionary<string, string> files)
        {
            if (disposed) throw new ObjectDisposedException("PyunClient");
            PyunOutcome outcome = PyunOutcome.Unknown;
            IntPtr result = IntPtr.Zero;
            PyunResult rc = NativeMethods.pyun_client_push(handle, NativeMethods.Utf8(endpoint),
                NativeMethods.Utf8(recordJson), NativeMethods.Utf8(FilesJson(files)),
                ref outcome, ref result);
            if (rc == PyunResult.Ok)
                return new PushResult(outcome, NativeMethods.TakeString(result));
            string message = NativeMethods.LastErrorMessage();
            if (rc == PyunResult.Rejected)
                throw new PyunRejectedException(message,
                    new PushResult(outcome, NativeMethods.TakeString(result)));
            throw new PyunException(rc, message);
        }

        /// <summary>The sign of a flat JSON object of string fields.</summary>
        public static string Sign(string fieldsJson, string appSecret)
        {
            IntPtr sign = IntPtr.Zero;
            PyunException.Check(NativeMethods.pyun_sign(NativeMethods.Utf8(fieldsJson),
                NativeMethods.Utf8(appSecret), NativeMethods.CharsetUtf8, ref sign));
            return NativeMethods.TakeString(sign);
        }

        /// <summary>Whether a push from the platform (JSON fields or the raw form body) carries
        /// a valid signature. Throws PyunException when it cannot be read at all.</summary>
        public static bool Verify(string push, string appSecret)
        {
            int rule = 0;
            PyunResult rc = NativeMethods.pyun_verify(NativeMethods.Utf8(push),
                NativeMethods.Utf8(appSecret), NativeMethods.CharsetUtf8, ref rule);
            if (rc == PyunResult.SignatureInvalid) return false;
            PyunException.Check(rc);
            return true;
        }

        private static string FilesJson(IDictionary<string, string> files)
        {
            if (files == null || files.Count == 0) return null;
            StringBuilder sb = new StringBuilder("{");
            foreach (KeyValuePair<string, string> f in files)
            {
                if (sb.Length > 1) sb.Append(',');
                sb.Append(Json.Quote(f.Key)).Append(':').Append(Json.Quote(f.Value));
            }
            return sb.Append('}').ToString();
        }

        private bool disposed;

        public void Dispose()
        {
            if (!disposed)
            {
                disposed = true;
                handle.Dispose();
            }
        }
    }

    /// <summary>JSON string quoting, for configurations and photo paths.</summary>
    public static class Json
    {
        public static string Quote(string s)
        {
            StringBuilder sb = new StringBuilder("\"");
            foreach (char c in s)
            {
                if (c == '"' || c == '\\') sb.Append('\\').Append(c);
                else if (c < ' ') sb.AppendFormat("\\u{0:x4}", (int)c);
                else sb.Append(c);
            }
            return sb.Append('"').ToString();
        }
    }
}
