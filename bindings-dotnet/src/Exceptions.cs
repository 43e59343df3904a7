// Exceptions.cs: one exception class per pyun_result code, all deriving from PyunException.
// Messages are pyun's last error message, which never holds the secret (pyun masks it).
using System;

namespace PyunNet
{
    /// <summary>A failed pyun call: Code is the pyun_result, NativeMessage pyun's message.</summary>
    public class PyunException : Exception
    {
        public PyunResult Code { get; private set; }
        public string NativeMessage { get; private set; }

        public PyunException(PyunResult code, string message)
            : base((string.IsNullOrEmpty(message) ? code.ToString() : message) +
                " (pyun_result " + (int)code + " " + code + ")")
        {
            Code = code;
            NativeMessage = message;
        }

        /// <summary>The exception class of a result code.</summary>
        public static PyunException Create(PyunResult code, string message, PushResult result)
        {
            switch (code)
            {
                case PyunResult.NullArgument:
                case PyunResult.InvalidArgument: return new PyunArgumentException(code, message);
                case PyunResult.InvalidEncoding: return new EncodingException(message);
                case PyunResult.MalformedJson: return new MalformedJsonException(message);
                case PyunResult.Validation: return new ValidationException(message);
                case PyunResult.File: return new PhotoFileException(message);
                case PyunResult.Config: return new ConfigException(message);
                case PyunResult.SignatureInvalid: return new SignatureException(message);
                case PyunResult.Transport: return new TransportException(message);
                case PyunResult.Rejected: return new RejectedException(message, result);
                case PyunResult.Store: return new StoreException(code, message);
                case PyunResult.RecordsLost: return new RecordsLostException(message);
                case PyunResult.InvalidHandle: return new InvalidHandleException(message);
                case PyunResult.OutboxUnverified: return new OutboxUnverifiedException(message);
                case PyunResult.NetworkShare: return new NetworkShareException(message);
                case PyunResult.Panic: return new PyunInternalException(message);
                default: return new PyunException(code, message);
            }
        }
    }

    /// <summary>NullArgument or InvalidArgument: an unknown endpoint, charset or file field.</summary>
    public class PyunArgumentException : PyunException
    {
        public PyunArgumentException(PyunResult code, string message) : base(code, message) { }
    }

    /// <summary>InvalidEncoding: a string or output is not representable; names the field.</summary>
    public sealed class EncodingException : PyunArgumentException
    {
        public EncodingException(string message) : base(PyunResult.InvalidEncoding, message) { }
    }

    /// <summary>MalformedJson: a JSON argument is not JSON, or not the expected shape.</summary>
    public sealed class MalformedJsonException : PyunArgumentException
    {
        public MalformedJsonException(string message) : base(PyunResult.MalformedJson, message) { }
    }

    /// <summary>Validation: the record is invalid; nothing was sent or stored.</summary>
    public sealed class ValidationException : PyunException
    {
        public ValidationException(string message) : base(PyunResult.Validation, message) { }
    }

    /// <summary>File: a photo could not be read.</summary>
    public sealed class PhotoFileException : PyunException
    {
        public PhotoFileException(string message) : base(PyunResult.File, message) { }
    }

    /// <summary>Config: empty secret, bad base URL or proxy, app_id without api_type.</summary>
    public sealed class ConfigException : PyunException
    {
        public ConfigException(string message) : base(PyunResult.Config, message) { }
    }

    /// <summary>SignatureInvalid: a received push's signature does not verify.</summary>
    public sealed class SignatureException : PyunException
    {
        public SignatureException(string message) : base(PyunResult.SignatureInvalid, message) { }
    }

    /// <summary>Transport: no answer from the platform (after the retries).</summary>
    public sealed class TransportException : PyunException
    {
        public TransportException(string message) : base(PyunResult.Transport, message) { }
    }

    /// <summary>Rejected: the platform answered and refused the record; Result says how
    /// (outcome, code, message, hint, diagnosis).</summary>
    public sealed class RejectedException : PyunException
    {
        public PushResult Result { get; private set; }
        public RejectedException(string message, PushResult result)
            : base(PyunResult.Rejected, message)
        {
            Result = result;
        }
    }

    /// <summary>Store: the outbox database failed; nothing was stored.</summary>
    public class StoreException : PyunException
    {
        public StoreException(PyunResult code, string message) : base(code, message) { }
    }

    /// <summary>RecordsLost: opening the outbox found committed records missing; they are
    /// now dead letters (error "LOST ..."), the message names them; the next open succeeds.</summary>
    public sealed class RecordsLostException : StoreException
    {
        public RecordsLostException(string message) : base(PyunResult.RecordsLost, message) { }
    }

    /// <summary>OutboxUnverified: the outbox was not opened because it cannot tell whether
    /// committed records were lost (its side file "db-enqueued" is missing, damaged, or of
    /// another database; the message names what it knows). An operator who knows the database
    /// is complete opens it once with PyunOutbox.AcceptFreshStart.</summary>
    public sealed class OutboxUnverifiedException : StoreException
    {
        public OutboxUnverifiedException(string message) : base(PyunResult.OutboxUnverified, message) { }
    }

    /// <summary>NetworkShare: the outbox is on a network share (UNC path, mapped network drive),
    /// where SQLite's WAL journal cannot keep its guarantees; nothing was created. Put it on a
    /// local disk, or pass allowNetworkShare.</summary>
    public sealed class NetworkShareException : StoreException
    {
        public NetworkShareException(string message) : base(PyunResult.NetworkShare, message) { }
    }

    /// <summary>InvalidHandle: a native handle that is not live (should not happen through
    /// Pyun.Net, which throws ObjectDisposedException first).</summary>
    public sealed class InvalidHandleException : PyunException
    {
        public InvalidHandleException(string message) : base(PyunResult.InvalidHandle, message) { }
    }

    /// <summary>Panic: a bug inside pyun; please report it with the message.</summary>
    public sealed class PyunInternalException : PyunException
    {
        public PyunInternalException(string message) : base(PyunResult.Panic, message) { }
    }
}
