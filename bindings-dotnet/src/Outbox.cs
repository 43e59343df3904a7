// Outbox.cs: PyunOutbox (a durable queue on a SQLite file), its background PyunSender, and the
// typed records, reports and events it returns.
//
//   using (PyunOutbox outbox = new PyunOutbox(@"C:\ParkData\pyun-outbox.db"))
//   using (PyunSender sender = outbox.StartSender(client, 1000, OnEvent, lastSeq))
//   {
//       long id = outbox.Enqueue("leave", json, PyunClient.Photo("leave_image_file", path));
//       ...
//   }
using System;
using System.Collections.Generic;
using System.Runtime.InteropServices;
using System.Threading;

namespace PyunNet
{
    /// <summary>A durable outbox; thread-safe; several processes may open one file.</summary>
    public sealed class PyunOutbox : IDisposable
    {
        internal readonly OutboxHandle Handle;

        /// <summary>Opens or creates the outbox at path. carryEnterFields: page 001 note 8.
        /// allowNetworkShare: open an outbox on a network share anyway (else
        /// NetworkShareException). Throws StoreException (not an outbox / damaged),
        /// RecordsLostException or OutboxUnverifiedException.</summary>
        public PyunOutbox(string path, bool carryEnterFields, bool allowNetworkShare)
            : this(path, (carryEnterFields ? 1 : 0) | (allowNetworkShare ? 2 : 0)) { }

        public PyunOutbox(string path, bool carryEnterFields) : this(path, carryEnterFields, false) { }

        /// <summary>The operator's way out of OutboxUnverifiedException, only when an operator
        /// decided it: takes the database as complete, gives it a new side file, opens it.</summary>
        public static PyunOutbox AcceptFreshStart(string path, bool carryEnterFields)
        {
            return new PyunOutbox(path, (carryEnterFields ? 1 : 0) | 4);
        }

        /// <summary>flags: the PYUN_OUTBOX_* flags of pyun_outbox_open.</summary>
        private PyunOutbox(string path, int flags)
        {
            PyunLoader.EnsureLoaded();
            OutboxHandle h;
            PyunResult rc = NativeMethods.pyun_outbox_open(NativeMethods.Utf8(path),
                flags, NativeMethods.CharsetUtf8, out h);
            if (rc != PyunResult.Ok)
            {
                string message = NativeMethods.LastErrorMessage();
                if (h != null) h.Dispose();
                throw PyunException.Create(rc, message, null);
            }
            Handle = h;
        }

        public PyunOutbox(string path) : this(path, false) { }

        /// <summary>Validates and stores a record durably (with copies of its photos); returns
        /// its id once it is on disk.</summary>
        public long Enqueue(string endpoint, string recordJson, IDictionary<string, string> files)
        {
            long id;
            NativeMethods.Check(NativeMethods.pyun_outbox_enqueue(H,
                NativeMethods.Utf8(endpoint), NativeMethods.Utf8(recordJson),
                PyunClient.FilesJson(files), out id));
            return id;
        }

        public long Enqueue(string endpoint, string recordJson) { return Enqueue(endpoint, recordJson, null); }

        public long Enqueue(string endpoint, IDictionary<string, object> record,
            IDictionary<string, string> files)
        {
            return Enqueue(endpoint, Json.Write(record), files);
        }

        /// <summary>Delivers what is due through client, now, on this thread.</summary>
        public DrainReport Drain(PyunClient client)
        {
            IntPtr s;
            NativeMethods.Check(NativeMethods.pyun_outbox_drain(H, client.H, out s));
            return new DrainReport(NativeMethods.Take(s));
        }

        public OutboxCounts Counts()
        {
            IntPtr s;
            NativeMethods.Check(NativeMethods.pyun_outbox_counts(H, out s));
            return new OutboxCounts(NativeMethods.Take(s));
        }

        public IList<DeadLetter> DeadLetters()
        {
            IntPtr s;
            NativeMethods.Check(NativeMethods.pyun_outbox_dead_letters(H, out s));
            List<DeadLetter> l = new List<DeadLetter>();
            foreach (object o in Json.Parse(NativeMethods.Take(s)) as IList<object> ?? new List<object>())
                l.Add(new DeadLetter(new JsonObject(o), Json.Write(o)));
            return l;
        }

        /// <summary>Re-queues the dead letter id; returns how many (0 or 1).</summary>
        public long RetryDead(long id)
        {
            if (id < 0) throw new ArgumentOutOfRangeException("id", "use RetryAllDead");
            ulong n;
            NativeMethods.Check(NativeMethods.pyun_outbox_retry_dead(H, id, out n));
            return (long)n;
        }

        /// <summary>Re-queues every dead letter; returns how many.</summary>
        public long RetryAllDead()
        {
            ulong n;
            NativeMethods.Check(NativeMethods.pyun_outbox_retry_dead(H, -1, out n));
            return (long)n;
        }

        /// <summary>The status of record id, or null when the outbox has none.</summary>
        public RecordStatus Record(long id)
        {
            IntPtr s;
            NativeMethods.Check(NativeMethods.pyun_outbox_record(H, id, out s));
            return RecordStatus.OfJson(NativeMethods.Take(s));
        }

        /// <summary>The records whose parking_serial or flow_no is key, oldest first.</summary>
        public IList<RecordStatus> Find(string key)
        {
            IntPtr s;
            NativeMethods.Check(NativeMethods.pyun_outbox_find(H, NativeMethods.Utf8(key), out s));
            List<RecordStatus> l = new List<RecordStatus>();
            foreach (object o in Json.Parse(NativeMethods.Take(s)) as IList<object> ?? new List<object>())
                l.Add(new RecordStatus(new JsonObject(o), Json.Write(o)));
            return l;
        }

        /// <summary>The record delivered next (with why it waits), or null when none is pending.</summary>
        public RecordStatus Head()
        {
            IntPtr s;
            NativeMethods.Check(NativeMethods.pyun_outbox_head(H, out s));
            return RecordStatus.OfJson(NativeMethods.Take(s));
        }

        /// <summary>Up to limit delivery events after position afterSeq (0: from the start).
        /// Keep the last Seq you handled and pass it next time; events survive restarts.</summary>
        public IList<DeliveryEvent> Events(long afterSeq, int limit)
        {
            if (limit < 0) throw new ArgumentOutOfRangeException("limit");
            IntPtr s;
            NativeMethods.Check(NativeMethods.pyun_outbox_events(H, afterSeq, (uint)limit, out s));
            List<DeliveryEvent> l = new List<DeliveryEvent>();
            foreach (object o in Json.Parse(NativeMethods.Take(s)) as IList<object> ?? new List<object>())
                l.Add(new DeliveryEvent(new JsonObject(o), Json.Write(o)));
            return l;
        }

        /// <summary>Starts delivering in the background through client: records enqueued here
        /// go at once, others every pollMs (at least 10). onEvent (may be null) is called with
        /// each event after afterSeq, on the sender's thread: post to your UI thread (e.g.
        /// Control.BeginInvoke); exceptions it throws are swallowed; do not dispose the sender
        /// from inside it. Dispose the returned sender (or call Stop) before the process exits.
        /// The outbox and client stay alive until the sender has stopped.</summary>
        public PyunSender StartSender(PyunClient client, int pollMs, Action<DeliveryEvent> onEvent,
            long afterSeq)
        {
            if (client == null) throw new ArgumentNullException("client");
            if (pollMs < 0) throw new ArgumentOutOfRangeException("pollMs");
            SenderHandle sh = new SenderHandle();
            NativeEventCallback cb = null;
            if (onEvent != null)
            {
                cb = delegate(IntPtr userdata, IntPtr eventJson)
                {
                    try
                    {
                        string json = NativeMethods.FromUtf8(eventJson);
                        onEvent(new DeliveryEvent(JsonObject.Of(json), json));
                    }
                    catch (Exception) { }
                };
            }
            bool outboxRef = false, clientRef = false;
            try
            {
                H.DangerousAddRef(ref outboxRef);
                client.H.DangerousAddRef(ref clientRef);
                IntPtr raw;
                PyunResult rc;
                // The handle is set inside a constrained region so a thread abort cannot lose it.
                System.Runtime.CompilerServices.RuntimeHelpers.PrepareConstrainedRegions();
                try { }
                finally
                {
                    rc = NativeMethods.pyun_outbox_start_sender(Handle, client.Handle,
                        (uint)pollMs, cb, IntPtr.Zero, afterSeq, out raw);
                    if (rc == PyunResult.Ok)
                    {
                        sh.Callback = cb;
                        sh.Outbox = Handle;
                        sh.Client = client.Handle;
                        sh.Set(raw);
                    }
                }
                NativeMethods.Check(rc);
                return new PyunSender(sh);
            }
            catch
            {
                if (sh.IsInvalid)
                {
                    if (outboxRef) Handle.DangerousRelease();
                    if (clientRef) client.Handle.DangerousRelease();
                }
                throw;
            }
        }

        public PyunSender StartSender(PyunClient client)
        {
            return StartSender(client, 1000, null, 0);
        }

        public bool IsDisposed { get { return disposed; } }

        private volatile bool disposed;

        /// <summary>The handle, or ObjectDisposedException once Dispose was called (also while
        /// a sender still holds the native handle open).</summary>
        internal OutboxHandle H
        {
            get
            {
                if (disposed) throw new ObjectDisposedException(GetType().Name);
                return Handle;
            }
        }


        /// <summary>Closes the outbox (after a running sender stops). Idempotent.</summary>
        public void Dispose() { disposed = true; Handle.Dispose(); }
    }

    /// <summary>A running background sender; Dispose (or Stop) stops it: the record in flight
    /// is finished and written down, the rest stays pending for the next start.</summary>
    public sealed class PyunSender : IDisposable
    {
        private readonly SenderHandle handle;
        internal PyunSender(SenderHandle h) { handle = h; }

        public bool IsRunning { get { return !handle.IsClosed; } }

        public void Stop() { Dispose(); }

        /// <summary>Stops the sender (waits for the record in flight). Idempotent.</summary>
        public void Dispose() { handle.Dispose(); }
    }

    /// <summary>pyun_outbox_counts.</summary>
    public sealed class OutboxCounts
    {
        public long Pending { get; private set; }
        public long InFlight { get; private set; }
        public long Done { get; private set; }
        public long Dead { get; private set; }
        public string Json { get; private set; }

        internal OutboxCounts(string json)
        {
            Json = json;
            JsonObject o = JsonObject.Of(json);
            Pending = o.LongOr0("pending");
            InFlight = o.LongOr0("in_flight");
            Done = o.LongOr0("done");
            Dead = o.LongOr0("dead");
        }
    }

    /// <summary>pyun_outbox_drain's report.</summary>
    public sealed class DrainReport
    {
        public long Accepted { get; private set; }
        public long Dead { get; private set; }
        public long Retried { get; private set; }
        public long Pending { get; private set; }
        public string LastError { get; private set; }
        /// <summary>Why delivery paused (records refused the same way in a row), else null.</summary>
        public string Paused { get; private set; }
        public string Json { get; private set; }

        internal DrainReport(string json)
        {
            Json = json;
            JsonObject o = JsonObject.Of(json);
            Accepted = o.LongOr0("accepted");
            Dead = o.LongOr0("dead");
            Retried = o.LongOr0("retried");
            Pending = o.LongOr0("pending");
            LastError = o.Str("last_error");
            Paused = o.Str("paused");
        }
    }

    /// <summary>A dead letter: a record the platform refused.</summary>
    public sealed class DeadLetter
    {
        public long Id { get; private set; }
        public string Endpoint { get; private set; }
        public string Key { get; private set; }
        public int Attempts { get; private set; }
        /// <summary>Why; starts with "LOST" for records the database lost.</summary>
        public string Error { get; private set; }
        /// <summary>The platform's answer, as JSON text (null if none).</summary>
        public string Response { get; private set; }
        /// <summary>Why the platform refused or ignored it, in words (explain's summary).</summary>
        public string Diagnosis { get; private set; }
        public string Json { get; private set; }

        internal DeadLetter(JsonObject o, string json)
        {
            Json = json;
            Id = o.LongOr0("id");
            Endpoint = o.Str("endpoint");
            Key = o.Str("key");
            Attempts = (int)o.LongOr0("attempts");
            Error = o.Str("error");
            Response = o.Str("response");
            object d = o.Raw("diagnosis");
            IDictionary<string, object> dd = d as IDictionary<string, object>;
            Diagnosis = dd != null ? new Explanation(PyunNet.Json.Write(d)).Summary : o.Str("diagnosis");
        }
    }

    /// <summary>The status of one outbox record (pyun_outbox_record / find / head).</summary>
    public sealed class RecordStatus
    {
        public long Id { get; private set; }
        public string Endpoint { get; private set; }
        public string Key { get; private set; }
        /// <summary>"pending", "in_flight", "paused", "done" or "dead".</summary>
        public string State { get; private set; }
        public int Attempts { get; private set; }
        public long CreatedMs { get; private set; }
        public long? NextAttemptMs { get; private set; }
        public long? FinishedMs { get; private set; }
        public string LastError { get; private set; }
        public string Seqno { get; private set; }
        /// <summary>The platform's answer, as JSON text (null if none).</summary>
        public string Response { get; private set; }
        /// <summary>Why the platform refused or ignored it, in words (explain's summary).</summary>
        public string Diagnosis { get; private set; }
        public string Json { get; private set; }

        internal static RecordStatus OfJson(string json)
        {
            object o = PyunNet.Json.Parse(json);
            return o == null ? null : new RecordStatus(new JsonObject(o), json);
        }

        internal RecordStatus(JsonObject o, string json)
        {
            Json = json;
            Id = o.LongOr0("id");
            Endpoint = o.Str("endpoint");
            Key = o.Str("key");
            State = o.Str("state");
            Attempts = (int)o.LongOr0("attempts");
            CreatedMs = o.LongOr0("created_ms");
            NextAttemptMs = o.Long("next_attempt_ms");
            FinishedMs = o.Long("finished_ms");
            LastError = o.Str("last_error");
            Seqno = o.Str("seqno");
            Response = o.Str("response");
            object d = o.Raw("diagnosis");
            IDictionary<string, object> dd = d as IDictionary<string, object>;
            Diagnosis = dd != null ? new Explanation(PyunNet.Json.Write(d)).Summary : o.Str("diagnosis");
        }
    }

    /// <summary>A delivery event: Kind "accepted", "dead" or "requeued".</summary>
    public sealed class DeliveryEvent
    {
        /// <summary>Its position: keep the last one handled and pass it as afterSeq.</summary>
        public long Seq { get; private set; }
        public string Kind { get; private set; }
        public long RecordId { get; private set; }
        public string Endpoint { get; private set; }
        public string Key { get; private set; }
        public long AtMs { get; private set; }
        public string Seqno { get; private set; }
        public string Reason { get; private set; }
        public string Json { get; private set; }

        internal DeliveryEvent(JsonObject o, string json)
        {
            Json = json;
            Seq = o.LongOr0("seq");
            Kind = o.Str("kind");
            RecordId = o.LongOr0("record_id");
            Endpoint = o.Str("endpoint");
            Key = o.Str("key");
            AtMs = o.LongOr0("at_ms");
            Seqno = o.Str("seqno");
            Reason = o.Str("reason");
        }
    }
}
