// MainForm.cs: the lot's window. A plate, two buttons (push now / keep in the outbox), and the
// outcomes as they arrive. Nothing here waits for the network: Lot's callbacks run on other
// threads and come back to this one through BeginInvoke.
using System;
using System.Drawing;
using System.IO;
using System.Windows.Forms;
using PyunNet;

namespace PyunLotSample
{
    public sealed class MainForm : Form
    {
        private readonly TextBox plate = new TextBox();
        private readonly Button pushButton = new Button();
        private readonly Button enqueueButton = new Button();
        private readonly ListBox outcomes = new ListBox();
        private readonly Settings settings;
        private Lot lot;
        private int count;

        public MainForm(Settings settings)
        {
            this.settings = settings;
            Text = "pyun lot sample";
            ClientSize = new Size(560, 360);
            plate.SetBounds(12, 12, 140, 24);
            plate.Text = "\u7ca4B12345";
            pushButton.SetBounds(160, 10, 180, 28);
            pushButton.Text = "Push enter now";
            pushButton.Click += OnPush;
            enqueueButton.SetBounds(348, 10, 200, 28);
            enqueueButton.Text = "Keep enter in outbox";
            enqueueButton.Click += OnEnqueue;
            outcomes.SetBounds(12, 48, 536, 300);
            outcomes.Anchor = AnchorStyles.Top | AnchorStyles.Bottom | AnchorStyles.Left | AnchorStyles.Right;
            Controls.AddRange(new Control[] { plate, pushButton, enqueueButton, outcomes });
            Load += delegate
            {
                // A real program keeps the last seq it handled in its own database.
                lot = new Lot(settings.AppSecret, settings.BaseUrl, settings.OutboxPath, 0, OnDeliveryEvent);
            };
            FormClosed += delegate { if (lot != null) lot.Dispose(); };
        }

        private string NextSerial()
        {
            count++;
            return "WF-" + DateTime.Now.ToString("yyyyMMddHHmmss") + "-" + count;
        }

        private void OnPush(object source, EventArgs e)
        {
            string serial = NextSerial();
            Show(serial + ": pushing");
            lot.PushInBackground("enter", Lot.EnterRecord(settings.ParkUuid, serial, plate.Text, DateTime.Now),
                "enter_image_file", settings.PhotoPath, delegate(PushResult r, Exception error)
                {
                    // a thread-pool thread: hand the result to the UI thread
                    string line = error != null ? serial + ": failed: " + error.Message
                        : serial + ": " + r.Outcome + " seqno " + r.Seqno + " after " + r.Attempts + " attempts";
                    BeginInvoke(new Action<string>(Show), line);
                });
        }

        private void OnEnqueue(object source, EventArgs e)
        {
            string serial = NextSerial();
            try
            {
                long id = lot.Enqueue("enter", Lot.EnterRecord(settings.ParkUuid, serial, plate.Text, DateTime.Now),
                    "enter_image_file", settings.PhotoPath);
                Show(serial + ": kept in the outbox as record " + id);
            }
            catch (PyunException error)
            {
                Show(serial + ": not kept: " + error.Message);   // e.g. the photo does not exist
            }
        }

        private void OnDeliveryEvent(DeliveryEvent e)
        {
            // the sender's thread: never touch a control here
            string line = "event " + e.Seq + ": " + e.Kind + " " + e.Endpoint + " " + e.Key + " (record " + e.RecordId + ")";
            if (IsHandleCreated) BeginInvoke(new Action<string>(Show), line);
        }

        private void Show(string line)
        {
            outcomes.Items.Add(line);
            outcomes.TopIndex = outcomes.Items.Count - 1;
        }
    }

    /// <summary>Where the lot's things are: from the command line or the environment.</summary>
    public sealed class Settings
    {
        public string AppSecret, BaseUrl, OutboxPath, PhotoPath, ParkUuid;

        public static Settings From(string baseUrl, string dataDir)
        {
            Settings s = new Settings();
            s.AppSecret = Environment.GetEnvironmentVariable("PYUN_APP_SECRET");
            if (string.IsNullOrEmpty(s.AppSecret)) s.AppSecret = "123";   // the sandbox's default
            s.BaseUrl = baseUrl;
            s.OutboxPath = Path.Combine(AppDomain.CurrentDomain.BaseDirectory, "pyun-outbox.db");
            s.PhotoPath = Path.Combine(dataDir, "enter.gif");
            s.ParkUuid = "49f0cc52-e8c7-41e3-b54d-af666b8cc11a";
            return s;
        }
    }
}
