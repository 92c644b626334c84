import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

export interface ChartProps {
  title: string;
  /** x values (seconds of call time) then one array per series. */
  data: uPlot.AlignedData;
  series: uPlot.Series[];
  /** y-axis range, when fixed. */
  yRange?: [number, number];
  yValues?: (value: number) => string;
  height?: number;
  /** x values are Unix seconds (wall-clock axis) instead of call time. */
  xTime?: boolean;
}

/** A uPlot chart sized to its container; recreated when its series change, data updated in place. */
export function Chart({ title, data, series, yRange, yValues, height = 180, xTime = false }: ChartProps) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  /** The data the plot shows. */
  const drawn = useRef<uPlot.AlignedData | null>(null);
  const shape = series.map((s) => s.label).join('|');

  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const options: uPlot.Options = {
      title,
      width: Math.max(300, el.clientWidth),
      height,
      series: [{ label: xTime ? 'time' : 'call time (s)' }, ...series],
      scales: { x: { time: xTime }, ...(yRange ? { y: { range: yRange } } : {}) },
      axes: [
        { stroke: '#c9d1d9', grid: { stroke: '#30363d' }, ticks: { stroke: '#30363d' } },
        { stroke: '#c9d1d9', size: 70, grid: { stroke: '#30363d' }, ticks: { stroke: '#30363d' }, ...(yValues ? { values: (_u: uPlot, ticks: number[]) => ticks.map(yValues) } : {}) },
      ],
      legend: { show: true },
    };
    plot.current = new uPlot(options, data, el);
    drawn.current = data;
    return () => {
      plot.current?.destroy();
      plot.current = null;
    };
    // Recreated only when the set of series changes; data updates go through setData below.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [shape, title]);

  // Views pass fresh arrays on every render: redraw only when the values changed.
  useEffect(() => {
    if (!plot.current || (drawn.current && sameData(drawn.current, data))) return;
    plot.current.setData(data);
    drawn.current = data;
  }, [data]);

  return <div class="chart" ref={box} role="img" aria-label={title} />;
}

function sameData(a: uPlot.AlignedData, b: uPlot.AlignedData): boolean {
  if (a.length !== b.length) return false;
  for (let s = 0; s < a.length; s++) {
    const x = a[s]!;
    const y = b[s]!;
    if (x.length !== y.length) return false;
    for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
  }
  return true;
}
