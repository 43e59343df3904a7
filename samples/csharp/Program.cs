// Program.cs: starts the window, or with --check runs Lot (the non-UI part) once from the
// console, as CI does on Mono against libpyun.so and the sandbox:
//
//   PyunLotSample.exe [BASE_URL [DATA_DIR]]            the window (default http://127.0.0.1:8040, ..\..\examples\data)
//   PyunLotSample.exe --check BASE_URL DATA_DIR        push an enter with a photo, keep one in the outbox,
//                                                      wait for the sender's "accepted"; exit 0 when both were accepted
//
// The secret comes from %PYUN_APP_SECRET% (default 123, the sandbox's: `pyun.exe sandbox`).
using System;
using System.IO;
using System.Threading;
using System.Windows.Forms;
using PyunNet;

namespace PyunLotSample
{
    public static class Program
    {
        [STAThread]
        public static int Main(string[] args)
        {
            if (args.Length == 3 && args[0] == "--check")
            {
                Settings check = Settings.From(args[1], args[2]);
                check.OutboxPath = Path.Combine(Path.GetTempPath(), "pyun-lot-sample-" + Guid.NewGuid().ToString("N") + ".db");
                return Check(check);
            }
            string exeDir = AppDomain.CurrentDomain.BaseDirectory;
            Settings settings = Settings.From(args.Length > 0 ? args[0] : "http://127.0.0.1:8040",
                args.Length > 1 ? args[1] : Path.Combine(exeDir, @"..\..\..\..\examples\data"));
            RunWindow(settings);
            return 0;
        }

        // Its own method: the console check never loads System.Windows.Forms.
        private static void RunWindow(Settings settings)
        {
            Application.EnableVisualStyles();
            Application.Run(new MainForm(settings));
        }

        private static int Check(Settings settings)
        {
            try
            {
                return CheckOnce(settings);
            }
            finally
            {
                // the outbox of this check only: its database, side files and photo copies
                foreach (string f in Directory.GetFiles(Path.GetTempPath(), Path.GetFileName(settings.OutboxPath) + "*"))
                    try { File.Delete(f); } catch (IOException) { }
                try { Directory.Delete(settings.OutboxPath + ".files", true); } catch (IOException) { }
            }
        }

        private static int CheckOnce(Settings settings)
        {
            string stamp = DateTime.Now.ToString("yyyyMMddHHmmss");
            Console.WriteLine("pyun " + Pyun.Version + ", outbox " + settings.OutboxPath);
            ManualResetEvent pushed = new ManualResetEvent(false), delivered = new ManualResetEvent(false);
            bool pushAccepted = false;
            string pushedKey = "CS-" + stamp + "-P", queuedKey = "CS-" + stamp + "-Q";
            using (Lot lot = new Lot(settings.AppSecret, settings.BaseUrl, settings.OutboxPath, 0, delegate(DeliveryEvent e)
            {
                Console.WriteLine("event " + e.Seq + ": " + e.Kind + " " + e.Endpoint + " " + e.Key);
                if (e.Kind == "accepted" && e.Key == queuedKey) delivered.Set();
            }))
            {
                lot.PushInBackground("enter", Lot.EnterRecord(settings.ParkUuid, pushedKey, "\u7ca4B12345", DateTime.Now),
                    "enter_image_file", settings.PhotoPath, delegate(PushResult r, Exception error)
                    {
                        Console.WriteLine("push " + pushedKey + ": " + (error != null ? "failed: " + error.Message
                            : r.Outcome + " seqno " + r.Seqno + " after " + r.Attempts + " attempts"));
                        pushAccepted = error == null && r.Outcome == PyunOutcome.Accepted;
                        pushed.Set();
                    });
                long id = lot.Enqueue("enter", Lot.EnterRecord(settings.ParkUuid, queuedKey, "\u7ca4B12345", DateTime.Now),
                    "enter_image_file", settings.PhotoPath);
                Console.WriteLine("enqueued " + queuedKey + " as record " + id);
                bool inTime = pushed.WaitOne(TimeSpan.FromSeconds(60)) & delivered.WaitOne(TimeSpan.FromSeconds(60));
                OutboxCounts c = lot.Counts();
                Console.WriteLine("outbox: " + c.Done + " done, " + c.Pending + " pending, " + c.Dead + " dead");
                if (!inTime) Console.WriteLine("no outcome within 60 s");
                return inTime && pushAccepted && c.Done == 1 ? 0 : 1;
            }
        }
    }
}
