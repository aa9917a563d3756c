"""Page speed (issue 22): the version counters every cached page is keyed on, and the page cache itself."""
