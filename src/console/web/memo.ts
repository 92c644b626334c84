import { Component, h, type ComponentType, type FunctionComponent } from 'preact';

/**
 * A component that renders again only when one of its props changed (by identity), like React's
 * memo (preact/compat has one, but importing compat changes how every element is created). The
 * views pass immutable rows and version counters, so under a busy live feed a render redraws the
 * few rows that changed, not the whole board or feed.
 */
export function memo<P extends object>(inner: FunctionComponent<P>): ComponentType<P> {
  class Memo extends Component<P> {
    override shouldComponentUpdate(next: P): boolean {
      return !shallowEqual(this.props as Record<string, unknown>, next as Record<string, unknown>);
    }

    override render(props: P) {
      return h(inner, props);
    }
  }
  return Memo;
}

function shallowEqual(a: Record<string, unknown>, b: Record<string, unknown>): boolean {
  for (const key in a) if (key !== 'children' && a[key] !== b[key]) return false;
  for (const key in b) if (key !== 'children' && !(key in a)) return false;
  return true;
}
