// PyunNative.cs: the P/Invoke layer over libpyun (pyun.dll on Windows, libpyun.so elsewhere).
//
// Every function is cdecl. Strings cross as NUL-terminated UTF-8 byte[] built with
// Encoding.UTF8, so this works on .NET Framework 4.0 (which has no UnmanagedType.LPUTF8Str).
// Strings returned by pyun are IntPtr and must go back through pyun_string_free. Out-params
// are `ref`, initialised by the caller: pyun writes them only on success.
// Compiles as C# 4 (mcs -langversion:4): no newer language features.
using System;
using System.Runtime.InteropServices;

namespace Pyun.Native
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
        Panic = 99,
    }

    /// <summary>The pyun_outcome codes of pyun.h.</summary>
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

    /// <summary>The exports of pyun.h, one to one.</summary>
    public static class NativeMethods
    {
        /// <summary>Resolves to pyun.dll on Windows and libpyun.so on Linux (Mono).</summary>
        public const string Library = "pyun";
        public const uint CharsetUtf8 = 65001;

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        public static extern UIntPtr pyun_last_error_message(byte[] buf, UIntPtr len);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        public static extern IntPtr pyun_version();

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        public static extern void pyun_string_free(IntPtr s);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        public static extern void pyun_bytes_free(IntPtr bytes, UIntPtr len);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        public static extern PyunResult pyun_sign(byte[] fieldsJson, byte[] appSecret,
            uint charset, ref IntPtr sign);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        public static extern PyunResult pyun_canonical_string(byte[] fieldsJson, uint charset,
            ref IntPtr canonical);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        public static extern PyunResult pyun_verify(byte[] push, byte[] appSecret, uint charset,
            ref int rule);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        public static extern PyunResult pyun_sign_push(byte[] fieldsJson, byte[] appSecret,
            byte[] appId, uint charset, ref IntPtr json);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        public static extern PyunResult pyun_explain(byte[] hint, byte[] endpoint,
            byte[] recordJson, uint charset, ref IntPtr json);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        public static extern PyunResult pyun_client_new(byte[] configJson, uint charset,
            ref IntPtr client);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        public static extern void pyun_client_free(IntPtr client);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        public static extern PyunResult pyun_client_push(PyunClientHandle client,
            byte[] endpoint, byte[] recordJson, byte[] filesJson, ref PyunOutcome outcome,
            ref IntPtr resultJson);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        public static extern PyunResult pyun_client_build_request(PyunClientHandle client,
            byte[] endpoint, byte[] recordJson, byte[] filesJson, ref IntPtr request);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        public static extern PyunResult pyun_request_info(IntPtr request, ref IntPtr json);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        public static extern PyunResult pyun_request_body(IntPtr request, ref IntPtr body,
            ref UIntPtr len);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        public static extern void pyun_request_free(IntPtr request);

        /// <summary>A NUL-terminated UTF-8 copy of s; null stays null (NULL for pyun).</summary>
        public static byte[] Utf8(string s)
        {
            if (s == null) return null;
            byte[] bytes = new byte[System.Text.Encoding.UTF8.GetByteCount(s) + 1];
            System.Text.Encoding.UTF8.GetBytes(s, 0, s.Length, bytes, 0);
            return bytes;
        }

        /// <summary>Reads a NUL-terminated UTF-8 string pyun returned (does not free it).</summary>
        public static string FromUtf8(IntPtr p)
        {
            if (p == IntPtr.Zero) return null;
            int n = 0;
            while (Marshal.ReadByte(p, n) != 0) n++;
            byte[] bytes = new byte[n];
            Marshal.Copy(p, bytes, 0, n);
            return System.Text.Encoding.UTF8.GetString(bytes);
        }

        /// <summary>Reads and frees a string pyun returned.</summary>
        public static string TakeString(IntPtr p)
        {
            try { return FromUtf8(p); }
            finally { pyun_string_free(p); }
        }

        /// <summary>Why the last pyun call on this thread failed ("" after a success).</summary>
        public static string LastErrorMessage()
        {
            ulong needed = pyun_last_error_message(null, UIntPtr.Zero).ToUInt64();
            byte[] buf = new byte[needed + 1];
            ulong got = pyun_last_error_message(buf, new UIntPtr((ulong)buf.Length)).ToUInt64();
            return System.Text.Encoding.UTF8.GetString(buf, 0, (int)Math.Min(got, needed));
        }
    }

    /// <summary>Owns a pyun_client*: released by pyun_client_free, even on a finalizer.</summary>
    public sealed class PyunClientHandle : SafeHandle
    {
        public PyunClientHandle(IntPtr client) : base(IntPtr.Zero, true)
        {
            SetHandle(client);
        }

        public override bool IsInvalid
        {
            get { return handle == IntPtr.Zero; }
        }

        protected override bool ReleaseHandle()
        {
            NativeMethods.pyun_client_free(handle);
            return true;
        }
    }
}
