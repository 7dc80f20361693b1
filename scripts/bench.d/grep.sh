# pgrep: literal, regex and count on one big file vs GNU grep and ripgrep;
# column search vs xsv search. Output goes to /dev/null (as every section).
compare "grep ERROR lines.txt" "$BIN/pgrep ERROR $DATA/lines.txt" \
  "GNU grep" "grep ERROR $DATA/lines.txt" \
  "ripgrep" "rg ERROR $DATA/lines.txt"
compare "grep -E 'ERROR.*timeout [0-9]+' lines.txt" "$BIN/pgrep -E 'ERROR.*timeout [0-9]+' $DATA/lines.txt" \
  "GNU grep" "grep -E 'ERROR.*timeout [0-9]+' $DATA/lines.txt" \
  "ripgrep" "rg 'ERROR.*timeout [0-9]+' $DATA/lines.txt"
compare "grep -c ERROR lines.txt" "$BIN/pgrep -c ERROR $DATA/lines.txt" \
  "GNU grep" "grep -c ERROR $DATA/lines.txt" \
  "ripgrep" "rg -c ERROR $DATA/lines.txt"
compare "search pickup_zone Airport trips.csv" "$BIN/pgrep --csv --select pickup_zone Airport $DATA/trips.csv" \
  "xsv search" "xsv search -s pickup_zone Airport $DATA/trips.csv"
