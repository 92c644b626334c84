import { useEffect } from 'preact/hooks';

/**
 * Runs `measure` now and whenever the page scrolls or resizes: the lists draw only the rows that
 * reach the screen, so they re-measure what is visible. The first render's `measure` is kept: it
 * must read only refs and state setters.
 */
export function useViewportMeasure(measure: () => void): void {
  useEffect(() => {
    measure();
    window.addEventListener('scroll', measure, { passive: true });
    window.addEventListener('resize', measure);
    return () => {
      window.removeEventListener('scroll', measure);
      window.removeEventListener('resize', measure);
    };
  }, []);
}
