# Growth plot for docs/performance.md, written by bench/compare/run.sh:
#   gnuplot -e "data='docs/performance-growth.tsv'; out='docs/performance-growth.png'" bench/compare/plot.gp
# Columns: see the header line of the .tsv. NaN = not measured (bench missing).
set terminal pngcairo size 1200,520 font "sans,10"
set output out
set datafile separator "\t"
set datafile missing "NaN"
set multiplot layout 1,2 title "canbao vs PostgreSQL and pandas, 晋城市 roster (log–log)"
set logscale xy
set grid
set key top left
set xlabel "persons"
set format x "%.0s%c"

set ylabel "seconds (median)"
plot data using 1:2 with linespoints lw 2 pt 7 title "canbao batch (in memory)", \
     data using 1:3 with linespoints lw 2 pt 7 title "canbao assess CSV→CSV", \
     data using 1:6 with linespoints dt 2 pt 6 title "floor: read+split CSV", \
     data using 1:4 with linespoints lw 2 pt 5 title "PostgreSQL one statement", \
     data using 1:5 with linespoints lw 2 pt 9 title "pandas read+compute+write", \
     data using 1:7 with linespoints pt 11 title "import roster → SQLite", \
     data using 1:8 with linespoints pt 13 title "progress query", \
     data using 1:9 with linespoints pt 15 title "reconciliation"

set ylabel "peak memory, MB (max RSS)"
plot data using 1:10 with linespoints lw 2 pt 7 title "canbao batch (load + assess)", \
     data using 1:11 with linespoints lw 2 pt 7 title "canbao assess CSV→CSV", \
     data using 1:12 with linespoints lw 2 pt 5 title "PostgreSQL backend (VmHWM)", \
     data using 1:13 with linespoints lw 2 pt 9 title "pandas", \
     data using 1:14 with linespoints pt 11 title "import roster → SQLite"
unset multiplot
