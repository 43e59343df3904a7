// Lot.cs: what a parking lot's program does with pyun, without any UI (MainForm.cs is the UI;
// Program.cs runs this part alone with --check). Every call that waits for the network runs
// off the UI thread: Push on a thread-pool thread, the outbox's background sender on its own
// thread; results come back through callbacks that the form hands to its own thread.
using System;
using System.Collections.Generic;
using System.Threading;
using PyunNet;

namespace PyunLotSample
{
    public sealed class Lot : IDisposable
    {
        private readonly PyunClient client;
        private readonly PyunOutbox outbox;
        private readonly PyunSender sender;

        /// <summary>Opens the outbox (a file: the records survive a crash or a reboot) and starts
        /// its background sender. onEvent runs on the sender's thread, once per delivery event
        /// after afterSeq (keep the last seq you handled, with your "uploaded" mark).</summary>
        public Lot(string appSecret, string baseUrl, string outboxPath, long afterSeq, Action<DeliveryEvent> onEvent)
        {
            client = new PyunClient(appSecret, baseUrl);
            try
            {
                outbox = new PyunOutbox(outboxPath);
                sender = outbox.StartSender(client, 1000, onEvent, afterSeq);
            }
            catch
            {
                if (outbox != null) outbox.Dispose();
                client.Dispose();
                throw;
            }
        }

        /// <summary>An enter record with the platform's field names (docs/outbox.md).</summary>
        public static IDictionary<string, object> EnterRecord(string parkUuid, string serial, string plate, DateTime at)
        {
            Dictionary<string, object> r = new Dictionary<string, object>();
            r["park_uuid"] = parkUuid;
            r["parking_serial"] = serial;
            r["plate"] = plate;
            r["plate_color"] = 1;              // blue
            r["enter_time"] = ((long)(at.ToUniversalTime() - new DateTime(1970, 1, 1, 0, 0, 0, DateTimeKind.Utc)).TotalMilliseconds).ToString();
            r["enter_gate"] = "\u4e1c\u95e8\u5165\u53e3";  // the gate's name
            r["car_type"] = 1;
            r["car_desc"] = "\u4e34\u505c";               // temporary parking
            r["charge_type"] = "1";
            r["vehicle_type"] = 1;
            r["total_parking_space"] = "100";
            r["remain_parking_space"] = "57";
            return r;
        }

        /// <summary>Pushes one record now, on a thread-pool thread; done gets the result or the
        /// exception there (RejectedException: refused, with its Diagnosis). The push waits for
        /// the platform (seconds on a bad network): never call client.Push on the UI thread.</summary>
        public void PushInBackground(string endpoint, IDictionary<string, object> record, string photoField,
            string photoPath, Action<PushResult, Exception> done)
        {
            ThreadPool.QueueUserWorkItem(delegate
            {
                PushResult result = null;
                Exception error = null;
                try
                {
                    result = client.Push(endpoint, record, PyunClient.Photo(photoField, photoPath));
                }
                catch (PyunException e)
                {
                    error = e;
                }
                done(result, error);
            });
        }

        /// <summary>Keeps the record (and a copy of its photo) in the outbox; the sender delivers
        /// it. Returns once it is on disk: fine on the UI thread.</summary>
        public long Enqueue(string endpoint, IDictionary<string, object> record, string photoField, string photoPath)
        {
            return outbox.Enqueue(endpoint, record, PyunClient.Photo(photoField, photoPath));
        }

        public OutboxCounts Counts() { return outbox.Counts(); }

        /// <summary>Stops the sender (it finishes the record in flight), then closes the rest.</summary>
        public void Dispose()
        {
            sender.Dispose();
            outbox.Dispose();
            client.Dispose();
        }
    }
}
