import type { ReactNode } from 'react';
import { Link, Redirect, Route, Switch, useLocation } from 'wouter';
import { cart, cartSize } from './cart.js';
import { AccountPage } from './pages/account.js';
import { CartPage } from './pages/cart.js';
import { CataloguePage } from './pages/catalogue.js';
import { CheckoutPage } from './pages/checkout.js';
import { HelpCentrePage } from './pages/help-centre.js';
import { OrdersPage } from './pages/orders.js';
import { ProductPage } from './pages/product.js';
import { LogInPage, SignUpPage } from './pages/sign-in.js';
import { session } from './session.js';
import { PageTitle } from './ui.js';

export function App() {
  return (
    <>
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <Header />
      <main id="main">
        <Switch>
          <Route path="/" component={CataloguePage} />
          <Route path="/products/:sku">{(params) => <ProductPage key={params.sku} sku={params.sku} />}</Route>
          <Route path="/help" component={HelpCentrePage} />
          <Route path="/sign-up" component={SignUpPage} />
          <Route path="/log-in" component={LogInPage} />
          <Route path="/cart" component={CartPage} />
          <Route path="/checkout">
            <SignedIn>
              <CheckoutPage />
            </SignedIn>
          </Route>
          <Route path="/orders">
            <SignedIn>
              <OrdersPage />
            </SignedIn>
          </Route>
          <Route path="/account">
            <SignedIn>
              <AccountPage />
            </SignedIn>
          </Route>
          <Route>
            <PageTitle>Page not found</PageTitle>
            <p>
              <Link href="/">Back to the catalogue</Link>
            </p>
          </Route>
        </Switch>
      </main>
    </>
  );
}

function Header() {
  const signedIn = session.use();
  const lines = cart.use();
  const [, navigate] = useLocation();
  return (
    <header className="site-header">
      <Link href="/" className="brand">
        Shop Supergraph
      </Link>
      <nav aria-label="Main">
        <Link href="/">Catalogue</Link>
        <Link href="/help">Help centre</Link>
        <Link href="/cart">Cart ({cartSize(lines)})</Link>
        {signedIn ? (
          <>
            <Link href="/orders">Orders</Link>
            <Link href="/account">{signedIn.user.name}</Link>
            <button
              type="button"
              className="link"
              onClick={() => {
                session.clear();
                navigate('/');
              }}
            >
              Log out
            </button>
          </>
        ) : (
          <>
            <Link href="/log-in">Log in</Link>
            <Link href="/sign-up">Sign up</Link>
          </>
        )}
      </nav>
    </header>
  );
}

/** Pages for signed-in visitors: anyone else (or a token the API refused) goes to log in, and comes back after. */
function SignedIn({ children }: { children: ReactNode }) {
  const signedIn = session.use();
  const [location] = useLocation();
  if (!signedIn) return <Redirect to={`/log-in?next=${encodeURIComponent(location)}`} replace />;
  return children;
}
