"""The stream runner: vendor pages → raw loader → watermarks, with backfill slices and progress lines."""
