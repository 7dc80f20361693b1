# pgroupby: low- and high-cardinality group-bys on trips.csv vs Polars,
# DuckDB and datamash. datamash cannot read the raw file (quoted commas in
# pickup_zone), so it runs on a cleaned copy made once with Python's csv
# module (commas and newlines inside fields replaced) and cached.
CLEAN=$DATA/trips-clean.csv
if [ ! -f "$CLEAN" ]; then
  python3 - "$DATA/trips.csv" "$CLEAN.tmp" <<'PY'
import csv, sys
with open(sys.argv[1], newline='') as f, open(sys.argv[2], 'w') as out:
    for row in csv.reader(f):
        out.write(','.join(x.replace(',', ';').replace('\n', ' ').replace('\r', ' ') for x in row) + '\n')
PY
  mv "$CLEAN.tmp" "$CLEAN"
fi
compare "group by payment_type: 2 means + count" \
  "$BIN/pgroupby --csv -g payment_type mean total_amount mean trip_distance count payment_type $DATA/trips.csv" \
  "Polars" "python3 -c \"import polars as pl; print(pl.scan_csv('$DATA/trips.csv').group_by('payment_type').agg(pl.col('total_amount').mean(), pl.col('trip_distance').mean(), pl.len()).collect())\"" \
  "DuckDB" "python3 -c \"import duckdb; print(duckdb.sql(\\\"select payment_type, avg(total_amount), avg(trip_distance), count(*) from read_csv('$DATA/trips.csv') group by payment_type\\\").fetchall())\"" \
  "datamash -s (clean copy)" "datamash -t, -s --header-in -g 5 mean 8 mean 4 count 5 < $CLEAN"
compare "group by pickup_zone,VendorID,passenger_count: sum + count" \
  "$BIN/pgroupby --csv -g pickup_zone,VendorID,passenger_count sum total_amount count total_amount $DATA/trips.csv" \
  "Polars" "python3 -c \"import polars as pl; print(pl.scan_csv('$DATA/trips.csv').group_by('pickup_zone','VendorID','passenger_count').agg(pl.col('total_amount').sum(), pl.len()).collect())\"" \
  "DuckDB" "python3 -c \"import duckdb; print(duckdb.sql(\\\"select pickup_zone, VendorID, passenger_count, sum(total_amount), count(*) from read_csv('$DATA/trips.csv') group by all\\\").fetchall())\"" \
  "datamash -s (clean copy)" "datamash -t, -s --header-in -g 10,1,3 sum 8 count 8 < $CLEAN"
# Out of core: one group per distinct tpep_pickup_datetime+pickup_zone,
# holistic median; state far past -S 100M must spill and stay under it.
# About 80 s a run for us and 40 s for DuckDB: one run (said in BENCHMARKS.md).
RUNS=1 compare "high-cardinality median, -S 100M (spills), 1 run" \
  "$BIN/pgroupby -S 100M --csv -g tpep_pickup_datetime,pickup_zone median total_amount count total_amount $DATA/trips.csv" \
  "DuckDB" "python3 -c \"import duckdb; print(duckdb.sql(\\\"select tpep_pickup_datetime, pickup_zone, median(total_amount), count(*) from read_csv('$DATA/trips.csv') group by all\\\").fetchall()[:1])\""
