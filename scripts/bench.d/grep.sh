# pgrep: literal, regex and count on one big file vs GNU grep and ripgrep;
# column search vs xsv search.
#
# The lines.txt jobs pipe every tool's output through cat: GNU grep detects
# a stdout that is /dev/null and stops at the first match (it would show
# 0.00 s), so /dev/null would not measure a search. All tools pay the same
# pipe.
compare "grep ERROR lines.txt (piped)" "$BIN/pgrep ERROR $DATA/lines.txt | cat" \
  "GNU grep" "grep ERROR $DATA/lines.txt | cat" \
  "ripgrep" "rg ERROR $DATA/lines.txt | cat"
compare "grep -E 'ERROR.*timeout [0-9]+' lines.txt (piped)" "$BIN/pgrep -E 'ERROR.*timeout [0-9]+' $DATA/lines.txt | cat" \
  "GNU grep" "grep -E 'ERROR.*timeout [0-9]+' $DATA/lines.txt | cat" \
  "ripgrep" "rg 'ERROR.*timeout [0-9]+' $DATA/lines.txt | cat"
compare "grep -c ERROR lines.txt (piped)" "$BIN/pgrep -c ERROR $DATA/lines.txt | cat" \
  "GNU grep" "grep -c ERROR $DATA/lines.txt | cat" \
  "ripgrep" "rg -c ERROR $DATA/lines.txt | cat"
compare "search -s pickup_zone Airport trips.csv" "$BIN/pgrep --csv --select pickup_zone Airport $DATA/trips.csv" \
  "xsv search" "xsv search -s pickup_zone Airport $DATA/trips.csv"
