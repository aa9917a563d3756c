"""Calendar feeds (iCalendar): building events (ical), what each feed holds (feeds), feed tokens (tokens)."""
