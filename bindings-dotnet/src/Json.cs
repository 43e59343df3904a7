// Json.cs: the small JSON reader and writer Pyun.Net needs for pyun's result strings (no
// dependency on System.Web.Extensions, which the .NET 4.0 Client Profile lacks).
// Objects read as Dictionary<string, object>, arrays as List<object>, numbers as long (or
// double when not integral), strings, bool and null.
using System;
using System.Collections;
using System.Collections.Generic;
using System.Globalization;
using System.Text;

namespace PyunNet
{
    /// <summary>Reads and writes JSON (RFC 8259) for Pyun.Net's typed results.</summary>
    public static class Json
    {
        /// <summary>Parses a JSON text; throws FormatException when it is not JSON.</summary>
        public static object Parse(string text)
        {
            if (text == null) return null;
            int i = 0;
            object v = ReadValue(text, ref i);
            SkipWs(text, ref i);
            if (i != text.Length) throw new FormatException("JSON: trailing characters at " + i);
            return v;
        }

        /// <summary>The JSON text of a value: IDictionary (string keys), IEnumerable, string,
        /// numbers, bool, null.</summary>
        public static string Write(object value)
        {
            StringBuilder sb = new StringBuilder();
            WriteValue(sb, value);
            return sb.ToString();
        }

        /// <summary>A JSON string literal of s ("null" for null).</summary>
        public static string Quote(string s)
        {
            StringBuilder sb = new StringBuilder();
            WriteValue(sb, s);
            return sb.ToString();
        }

        private static void WriteValue(StringBuilder sb, object v)
        {
            if (v == null) { sb.Append("null"); return; }
            string s = v as string;
            if (s != null)
            {
                sb.Append('"');
                foreach (char c in s)
                {
                    switch (c)
                    {
                        case '"': sb.Append("\\\""); break;
                        case '\\': sb.Append("\\\\"); break;
                        case '\n': sb.Append("\\n"); break;
                        case '\r': sb.Append("\\r"); break;
                        case '\t': sb.Append("\\t"); break;
                        default:
                            if (c < 0x20) sb.Append("\\u").Append(((int)c).ToString("x4"));
                            else sb.Append(c);
                            break;
                    }
                }
                sb.Append('"');
                return;
            }
            if (v is bool) { sb.Append((bool)v ? "true" : "false"); return; }
            if (v is int || v is long || v is short || v is byte || v is uint || v is ulong ||
                v is ushort || v is sbyte || v is decimal)
            {
                sb.Append(Convert.ToString(v, CultureInfo.InvariantCulture));
                return;
            }
            if (v is double || v is float)
            {
                sb.Append(Convert.ToDouble(v).ToString("R", CultureInfo.InvariantCulture));
                return;
            }
            IDictionary d = v as IDictionary;
            if (d != null)
            {
                sb.Append('{');
                bool first = true;
                foreach (DictionaryEntry e in d)
                {
                    if (!first) sb.Append(',');
                    first = false;
                    WriteValue(sb, Convert.ToString(e.Key, CultureInfo.InvariantCulture));
                    sb.Append(':');
                    WriteValue(sb, e.Value);
                }
                sb.Append('}');
                return;
            }
            IEnumerable list = v as IEnumerable;
            if (list != null)
            {
                sb.Append('[');
                bool first = true;
                foreach (object o in list)
                {
                    if (!first) sb.Append(',');
                    first = false;
                    WriteValue(sb, o);
                }
                sb.Append(']');
                return;
            }
            WriteValue(sb, Convert.ToString(v, CultureInfo.InvariantCulture));
        }

        private static void SkipWs(string t, ref int i)
        {
            while (i < t.Length && (t[i] == ' ' || t[i] == '\t' || t[i] == '\n' || t[i] == '\r')) i++;
        }

        private static object ReadValue(string t, ref int i)
        {
            SkipWs(t, ref i);
            if (i >= t.Length) throw new FormatException("JSON: unexpected end");
            char c = t[i];
            if (c == '{')
            {
                Dictionary<string, object> d = new Dictionary<string, object>();
                i++;
                SkipWs(t, ref i);
                if (i < t.Length && t[i] == '}') { i++; return d; }
                while (true)
                {
                    SkipWs(t, ref i);
                    if (i >= t.Length || t[i] != '"') throw new FormatException("JSON: key expected at " + i);
                    string k = ReadString(t, ref i);
                    SkipWs(t, ref i);
                    if (i >= t.Length || t[i] != ':') throw new FormatException("JSON: ':' expected at " + i);
                    i++;
                    d[k] = ReadValue(t, ref i);
                    SkipWs(t, ref i);
                    if (i < t.Length && t[i] == ',') { i++; continue; }
                    if (i < t.Length && t[i] == '}') { i++; return d; }
                    throw new FormatException("JSON: ',' or '}' expected at " + i);
                }
            }
            if (c == '[')
            {
                List<object> l = new List<object>();
                i++;
                SkipWs(t, ref i);
                if (i < t.Length && t[i] == ']') { i++; return l; }
                while (true)
                {
                    l.Add(ReadValue(t, ref i));
                    SkipWs(t, ref i);
                    if (i < t.Length && t[i] == ',') { i++; continue; }
                    if (i < t.Length && t[i] == ']') { i++; return l; }
                    throw new FormatException("JSON: ',' or ']' expected at " + i);
                }
            }
            if (c == '"') return ReadString(t, ref i);
            if (string.CompareOrdinal(t, i, "true", 0, 4) == 0) { i += 4; return true; }
            if (string.CompareOrdinal(t, i, "false", 0, 5) == 0) { i += 5; return false; }
            if (string.CompareOrdinal(t, i, "null", 0, 4) == 0) { i += 4; return null; }
            int start = i;
            while (i < t.Length && "+-0123456789.eE".IndexOf(t[i]) >= 0) i++;
            if (start == i) throw new FormatException("JSON: unexpected '" + c + "' at " + i);
            string num = t.Substring(start, i - start);
            long l64;
            if (num.IndexOfAny(new char[] { '.', 'e', 'E' }) < 0 &&
                long.TryParse(num, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out l64))
                return l64;
            return double.Parse(num, NumberStyles.Float, CultureInfo.InvariantCulture);
        }

        private static string ReadString(string t, ref int i)
        {
            StringBuilder sb = new StringBuilder();
            i++; // the opening quote
            while (i < t.Length)
            {
                char c = t[i++];
                if (c == '"') return sb.ToString();
                if (c != '\\') { sb.Append(c); continue; }
                if (i >= t.Length) break;
                char e = t[i++];
                switch (e)
                {
                    case '"': sb.Append('"'); break;
                    case '\\': sb.Append('\\'); break;
                    case '/': sb.Append('/'); break;
                    case 'b': sb.Append('\b'); break;
                    case 'f': sb.Append('\f'); break;
                    case 'n': sb.Append('\n'); break;
                    case 'r': sb.Append('\r'); break;
                    case 't': sb.Append('\t'); break;
                    case 'u':
                        if (i + 4 > t.Length) throw new FormatException("JSON: bad \\u escape");
                        sb.Append((char)int.Parse(t.Substring(i, 4), NumberStyles.HexNumber,
                            CultureInfo.InvariantCulture));
                        i += 4;
                        break;
                    default: throw new FormatException("JSON: bad escape \\" + e);
                }
            }
            throw new FormatException("JSON: unterminated string");
        }
    }

    /// <summary>Typed reads of a parsed JSON object.</summary>
    internal sealed class JsonObject
    {
        private readonly IDictionary<string, object> d;

        internal JsonObject(object parsed)
        {
            d = parsed as IDictionary<string, object> ?? new Dictionary<string, object>();
        }

        internal static JsonObject Of(string json) { return new JsonObject(Json.Parse(json)); }

        internal object Raw(string key)
        {
            object v;
            return d.TryGetValue(key, out v) ? v : null;
        }

        internal bool Has(string key) { return Raw(key) != null; }

        /// <summary>A string as is; any other value as its JSON text; null when absent.</summary>
        internal string Str(string key)
        {
            object v = Raw(key);
            if (v == null) return null;
            string s = v as string;
            if (s != null) return s;
            if (v is long) return ((long)v).ToString(CultureInfo.InvariantCulture);
            return Json.Write(v);
        }

        internal long? Long(string key)
        {
            object v = Raw(key);
            if (v is long) return (long)v;
            if (v is double) return (long)(double)v;
            string s = v as string;
            long l;
            if (s != null && long.TryParse(s, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out l)) return l;
            return null;
        }

        internal long LongOr0(string key) { return Long(key) ?? 0; }

        internal double? Double(string key)
        {
            object v = Raw(key);
            if (v is long) return (long)v;
            if (v is double) return (double)v;
            return null;
        }

        internal bool Bool(string key) { object v = Raw(key); return v is bool && (bool)v; }

        internal IList<object> List(string key) { return Raw(key) as IList<object> ?? new List<object>(); }

        internal IDictionary<string, string> StringMap(string key)
        {
            Dictionary<string, string> m = new Dictionary<string, string>();
            IDictionary<string, object> o = Raw(key) as IDictionary<string, object>;
            if (o != null)
                foreach (KeyValuePair<string, object> kv in o)
                    m[kv.Key] = kv.Value as string ?? (kv.Value == null ? null : Json.Write(kv.Value));
            return m;
        }

        internal IList<string> StringList(string key)
        {
            List<string> l = new List<string>();
            foreach (object o in List(key)) l.Add(o as string ?? Json.Write(o));
            return l;
        }
    }
}
