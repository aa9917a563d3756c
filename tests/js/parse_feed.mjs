// Parse an iCalendar feed with ical.js (the parser Thunderbird uses) and print its events as JSON.
// Usage: node tests/js/parse_feed.mjs FILE.ics
// Like Thunderbird, times with a TZID are read through the VTIMEZONE blocks of the file itself;
// a TZID without its VTIMEZONE is an error (exit 2), as is anything ical.js refuses to parse.
import { readFileSync } from "node:fs";
import ICAL from "ical.js";

const text = readFileSync(process.argv[2], "utf8");
const calendar = new ICAL.Component(ICAL.parse(text));

const zones = new Set();
for (const vtimezone of calendar.getAllSubcomponents("vtimezone")) {
  const zone = new ICAL.Timezone(vtimezone);
  ICAL.TimezoneService.register(zone);
  zones.add(zone.tzid);
}

function instant(time) {
  if (time === null) return null;
  if (time.isDate) return time.toString();  // an all-day date: no time zone
  const tzid = time.zone ? time.zone.tzid : "floating";
  if (tzid === "floating") {
    console.error(`floating time ${time.toString()}: a feed must say its time zone`);
    process.exit(2);
  }
  if (tzid !== "UTC" && !zones.has(tzid)) {
    console.error(`TZID ${tzid} has no VTIMEZONE in the feed`);
    process.exit(2);
  }
  return new Date(time.toUnixTime() * 1000).toISOString();
}

const events = calendar.getAllSubcomponents("vevent").map((vevent) => {
  const event = new ICAL.Event(vevent);
  return {
    uid: event.uid,
    summary: event.summary,
    description: event.description,
    location: event.location,
    sequence: event.sequence,
    status: vevent.getFirstPropertyValue("status"),
    allDay: event.startDate.isDate,
    start: instant(event.startDate),
    end: vevent.hasProperty("dtend") ? instant(event.endDate) : null,
    startTzid: event.startDate.isDate ? null : event.startDate.zone.tzid,
  };
});

process.stdout.write(JSON.stringify({
  name: calendar.getFirstPropertyValue("x-wr-calname"),
  method: calendar.getFirstPropertyValue("method"),
  refreshInterval: String(calendar.getFirstPropertyValue("refresh-interval")),
  zones: [...zones],
  events,
}));
