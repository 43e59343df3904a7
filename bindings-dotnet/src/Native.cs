// Native.cs: the P/Invoke layer of Pyun.Net over pyun.dll / libpyun.so, and the loader that
// picks x86\pyun.dll or x64\pyun.dll beside the assembly on Windows.
//
// Every export is cdecl. Strings go in as NUL-terminated UTF-8 byte[] (charset 65001: .NET 4.0
// has no UnmanagedType.LPUTF8Str) and come out as IntPtr, read as UTF-8 and released with
// pyun_string_free. Handles are SafeHandles: a disposed one passed to a P/Invoke throws
// ObjectDisposedException in the marshaller, before pyun is called.
// C# 4 (mcs -langversion:4), .NET Framework 4.0 API only.
using System;
using System.IO;
using System.Runtime.InteropServices;
using System.Text;

namespace PyunNet
{
    /// <summary>The pyun_result codes of pyun.h. Numbers are fixed and never reused.</summary>
    public enum PyunResult
    {
        Ok = 0,
        NullArgument = 1,
        InvalidArgument = 2,
        InvalidEncoding = 3,
        MalformedJson = 4,
        Validation = 5,
        File = 6,
        Config = 7,
        SignatureInvalid = 8,
        Transport = 9,
        Rejected = 10,
        Store = 11,
        RecordsLost = 12,
        InvalidHandle = 13,
        OutboxUnverified = 14,
        NetworkShare = 15,
        Panic = 99,
    }

    /// <summary>The pyun_outcome codes of pyun.h: what the platform's answer means.</summary>
    public enum PyunOutcome
    {
        Accepted = 0,
        Ignored = 1,
        ParameterError = 2,
        SignatureRejected = 3,
        Blocked = 4,
        ServerError = 5,
        Unknown = 6,
        RateLimited = 7,
        NotPlatform = 8,
    }

    /// <summary>Loads the native library that matches the process (see docs/dotnet.md).</summary>
    public static class PyunLoader
    {
        private static readonly object gate = new object();
        private static bool loaded;
        private static string loadedPath;

        [DllImport("kernel32", CharSet = CharSet.Unicode, SetLastError = true)]
        private static extern IntPtr LoadLibraryW(string path);

        /// <summary>The file loaded on Windows (null before, and on Mono/Linux where the normal
        /// DllImport("pyun") resolution finds libpyun.so).</summary>
        public static string LoadedPath { get { return loadedPath; } }

        /// <summary>true on Windows (any .NET Framework or Mono there).</summary>
        public static bool IsWindows
        {
            get
            {
                PlatformID p = Environment.OSVersion.Platform;
                return p == PlatformID.Win32NT || p == PlatformID.Win32Windows;
            }
        }

        /// <summary>"x86" in a 32-bit process, "x64" in a 64-bit one.</summary>
        public static string Architecture { get { return IntPtr.Size == 8 ? "x64" : "x86"; } }

        /// <summary>Loads pyun.dll once, before the first call; every entry point of Pyun.Net
        /// calls it. Throws PyunLoadException naming the file and the bitness.</summary>
        public static void EnsureLoaded()
        {
            if (loaded) return;
            lock (gate)
            {
                if (loaded) return;
                if (IsWindows) loadedPath = LoadOnWindows();
                loaded = true;
            }
        }

        private static string LoadOnWindows()
        {
            string arch = Architecture;
            string bits = IntPtr.Size == 8 ? "64-bit" : "32-bit";
            string[] dirs = CandidateDirs();
            // x86\pyun.dll / x64\pyun.dll beside the assembly (the NuGet layout), then a pyun.dll
            // right beside it (the release zip's docs/windows.md layout: one bitness only).
            foreach (string dir in dirs)
            {
                string path = Path.Combine(Path.Combine(dir, arch), "pyun.dll");
                if (File.Exists(path)) return Load(path, bits);
            }
            foreach (string dir in dirs)
            {
                string path = Path.Combine(dir, "pyun.dll");
                if (File.Exists(path)) return Load(path, bits);
            }
            throw new PyunLoadException("pyun.dll not found: this is a " + bits + " process, so " +
                "Pyun.Net needs the " + arch + " build at " +
                Path.Combine(Path.Combine(dirs[0], arch), "pyun.dll") +
                " (the NuGet package's build targets copy x86\\pyun.dll and x64\\pyun.dll into " +
                "the output folder)");
        }

        private static string Load(string path, string bits)
        {
            if (LoadLibraryW(path) != IntPtr.Zero) return path;
            int err = Marshal.GetLastWin32Error();
            string why = err == 193
                ? "it is not a " + bits + " DLL (a " + bits + " process needs the " + Architecture +
                  " build)"
                : "Windows error " + err;
            throw new PyunLoadException("cannot load " + path + " into this " + bits +
                " process: " + why);
        }

        private static string[] CandidateDirs()
        {
            string a = null;
            try { a = Path.GetDirectoryName(typeof(PyunLoader).Assembly.Location); }
            catch (Exception) { }
            string b = AppDomain.CurrentDomain.BaseDirectory;
            if (string.IsNullOrEmpty(a)) return new string[] { b };
            if (string.IsNullOrEmpty(b) || string.Equals(Path.GetFullPath(a).TrimEnd('\\', '/'),
                Path.GetFullPath(b).TrimEnd('\\', '/'), StringComparison.OrdinalIgnoreCase))
                return new string[] { a };
            return new string[] { a, b };
        }
    }

    /// <summary>The native library could not be found or loaded.</summary>
    public sealed class PyunLoadException : DllNotFoundException
    {
        public PyunLoadException(string message) : base(message) { }
    }

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    internal delegate void NativeEventCallback(IntPtr userdata, IntPtr eventJson);

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    internal delegate void NativeLogCallback(IntPtr userdata, uint level, IntPtr target,
        IntPtr message);

    /// <summary>The exports of pyun.h, one to one.</summary>
    internal static class NativeMethods
    {
        internal const string Library = "pyun";
        internal const uint Utf8Charset = 65001;
        private const CallingConvention Cdecl = CallingConvention.Cdecl;

        [DllImport(Library, CallingConvention = Cdecl)]
        internal static extern UIntPtr pyun_last_error_message(byte[] buf, UIntPtr len);
        [DllImport(Library, CallingConvention = Cdecl)]
        internal static extern IntPtr pyun_version();
        [DllImport(Library, CallingConvention = Cdecl)]
        internal static extern void pyun_string_free(IntPtr s);
        [DllImport(Library, CallingConvention = Cdecl)]
        internal static extern void pyun_bytes_free(IntPtr bytes, UIntPtr len);

        [DllImport(Library, CallingConvention = Cdecl)]
        internal static extern PyunResult pyun_sign(byte[] fieldsJson, byte[] appSecret,
            uint charset, out IntPtr sign);
        [DllImport(Library, CallingConvention = Cdecl)]
        internal static extern PyunResult pyun_canonical_string(byte[] fieldsJson, uint charset,
            out IntPtr canonical);
        [DllImport(Library, CallingConvention = Cdecl)]
        internal static extern PyunResult pyun_verify(byte[] push, byte[] appSecret, uint charset,
            out int rule);
        [DllImport(Library, CallingConvention = Cdecl)]
        internal static extern PyunResult pyun_sign_push(byte[] fieldsJson, byte[] appSecret,
            byte[] appId, uint charset, out IntPtr json);
        [DllImport(Library, CallingConvention = Cdecl)]
        internal static extern PyunResult pyun_explain(byte[] hint, byte[] endpoint,
            byte[] recordJson, uint charset, out IntPtr json);

        [DllImport(Library, CallingConvention = Cdecl)]
        internal static extern PyunResult pyun_client_new(byte[] configJson, uint charset,
            out ClientHandle client);
        [DllImport(Library, CallingConvention = Cdecl)]
        internal static extern void pyun_client_free(IntPtr client);
        [DllImport(Library, CallingConvention = Cdecl)]
        internal static extern PyunResult pyun_client_push(ClientHandle client, byte[] endpoint,
            byte[] recordJson, byte[] filesJson, out PyunOutcome outcome, out IntPtr resultJson);
        [DllImport(Library, CallingConvention = Cdecl)]
        internal static extern PyunResult pyun_client_build_request(ClientHandle client,
            byte[] endpoint, byte[] recordJson, byte[] filesJson, out RequestHandle request);
        [DllImport(Library, CallingConvention = Cdecl)]
        internal static extern PyunResult pyun_request_info(RequestHandle request, out IntPtr json);
        [DllImport(Library, CallingConvention = Cdecl)]
        internal static extern PyunResult pyun_request_body(RequestHandle request,
            out IntPtr body, out UIntPtr len);
        [DllImport(Library, CallingConvention = Cdecl)]
        internal static extern void pyun_request_free(IntPtr request);

        [DllImport(Library, CallingConvention = Cdecl)]
        internal static extern PyunResult pyun_log_set_callback(NativeLogCallback callback,
            IntPtr userdata, uint maxLevel, uint charset);
        [DllImport(Library, CallingConvention = Cdecl)]
        internal static extern PyunResult pyun_log_set_file(byte[] path, uint maxLevel,
            ulong maxBytes, uint charset);

        [DllImport(Library, CallingConvention = Cdecl)]
        internal static extern PyunResult pyun_outbox_open(byte[] path, int flags,
            uint charset, out OutboxHandle outbox);
        [DllImport(Library, CallingConvention = Cdecl)]
        internal static extern void pyun_outbox_free(IntPtr outbox);
        [DllImport(Library, CallingConvention = Cdecl)]
        internal static extern PyunResult pyun_outbox_enqueue(OutboxHandle outbox,
            byte[] endpoint, byte[] recordJson, byte[] filesJson, out long id);
        [DllImport(Library, CallingConvention = Cdecl)]
        internal static extern PyunResult pyun_outbox_drain(OutboxHandle outbox,
            ClientHandle client, out IntPtr reportJson);
        [DllImport(Library, CallingConvention = Cdecl)]
        internal static extern PyunResult pyun_outbox_counts(OutboxHandle outbox, out IntPtr json);
        [DllImport(Library, CallingConvention = Cdecl)]
        internal static extern PyunResult pyun_outbox_dead_letters(OutboxHandle outbox,
            out IntPtr json);
        [DllImport(Library, CallingConvention = Cdecl)]
        internal static extern PyunResult pyun_outbox_retry_dead(OutboxHandle outbox, long id,
            out ulong count);
        [DllImport(Library, CallingConvention = Cdecl)]
        internal static extern PyunResult pyun_outbox_start_sender(OutboxHandle outbox,
            ClientHandle client, uint pollMs, NativeEventCallback callback, IntPtr userdata,
            long afterSeq, out IntPtr sender);
        [DllImport(Library, CallingConvention = Cdecl)]
        internal static extern void pyun_sender_stop(IntPtr sender);
        [DllImport(Library, CallingConvention = Cdecl)]
        internal static extern PyunResult pyun_outbox_record(OutboxHandle outbox, long id,
            out IntPtr json);
        [DllImport(Library, CallingConvention = Cdecl)]
        internal static extern PyunResult pyun_outbox_find(OutboxHandle outbox, byte[] key,
            out IntPtr json);
        [DllImport(Library, CallingConvention = Cdecl)]
        internal static extern PyunResult pyun_outbox_head(OutboxHandle outbox, out IntPtr json);
        [DllImport(Library, CallingConvention = Cdecl)]
        internal static extern PyunResult pyun_outbox_events(OutboxHandle outbox, long afterSeq,
            uint limit, out IntPtr json);

        /// <summary>A NUL-terminated UTF-8 copy of s; null stays null (NULL for pyun).</summary>
        internal static byte[] Utf8(string s)
        {
            if (s == null) return null;
            byte[] bytes = new byte[Encoding.UTF8.GetByteCount(s) + 1];
            Encoding.UTF8.GetBytes(s, 0, s.Length, bytes, 0);
            return bytes;
        }

        /// <summary>Reads a NUL-terminated UTF-8 string (does not free it).</summary>
        internal static string FromUtf8(IntPtr p)
        {
            if (p == IntPtr.Zero) return null;
            int n = 0;
            while (Marshal.ReadByte(p, n) != 0) n++;
            byte[] bytes = new byte[n];
            Marshal.Copy(p, bytes, 0, n);
            return Encoding.UTF8.GetString(bytes);
        }

        /// <summary>Reads and frees a string pyun returned.</summary>
        internal static string Take(IntPtr p)
        {
            if (p == IntPtr.Zero) return null;
            try { return FromUtf8(p); }
            finally { pyun_string_free(p); }
        }

        /// <summary>Why the last pyun call on this thread failed ("" after a success).</summary>
        internal static string LastErrorMessage()
        {
            ulong needed = pyun_last_error_message(null, UIntPtr.Zero).ToUInt64();
            byte[] buf = new byte[needed + 1];
            ulong got = pyun_last_error_message(buf, new UIntPtr((ulong)buf.Length)).ToUInt64();
            return Encoding.UTF8.GetString(buf, 0, (int)Math.Min(got, needed));
        }

        /// <summary>Throws the exception of rc (with this thread's last error) unless Ok.</summary>
        internal static void Check(PyunResult rc)
        {
            if (rc != PyunResult.Ok) throw PyunException.Create(rc, LastErrorMessage(), null);
        }
    }

    /// <summary>Owns a pyun_client*; released by pyun_client_free (also from the finalizer).</summary>
    internal sealed class ClientHandle : SafeHandle
    {
        public ClientHandle() : base(IntPtr.Zero, true) { }
        public override bool IsInvalid { get { return handle == IntPtr.Zero; } }
        protected override bool ReleaseHandle()
        {
            NativeMethods.pyun_client_free(handle);
            return true;
        }
    }

    /// <summary>Owns a pyun_request*; released by pyun_request_free.</summary>
    internal sealed class RequestHandle : SafeHandle
    {
        public RequestHandle() : base(IntPtr.Zero, true) { }
        public override bool IsInvalid { get { return handle == IntPtr.Zero; } }
        protected override bool ReleaseHandle()
        {
            NativeMethods.pyun_request_free(handle);
            return true;
        }
    }

    /// <summary>Owns a pyun_outbox*; released by pyun_outbox_free.</summary>
    internal sealed class OutboxHandle : SafeHandle
    {
        public OutboxHandle() : base(IntPtr.Zero, true) { }
        public override bool IsInvalid { get { return handle == IntPtr.Zero; } }
        protected override bool ReleaseHandle()
        {
            NativeMethods.pyun_outbox_free(handle);
            return true;
        }
    }

    /// <summary>Owns a pyun_sender*; released by pyun_sender_stop. It holds the event
    /// callback's delegate, so the delegate stays alive until the sender has stopped (also when
    /// the finalizer stops it), and the outbox and client handles the sender uses.</summary>
    internal sealed class SenderHandle : SafeHandle
    {
        internal Delegate Callback;
        internal SafeHandle Outbox;
        internal SafeHandle Client;
        public SenderHandle() : base(IntPtr.Zero, true) { }
        internal void Set(IntPtr sender) { SetHandle(sender); }
        public override bool IsInvalid { get { return handle == IntPtr.Zero; } }
        protected override bool ReleaseHandle()
        {
            NativeMethods.pyun_sender_stop(handle);
            Callback = null;
            // The references StartSender took on the outbox and client, released only now
            // that the sender has stopped using them.
            if (Outbox != null) { Outbox.DangerousRelease(); Outbox = null; }
            if (Client != null) { Client.DangerousRelease(); Client = null; }
            return true;
        }
    }
}
