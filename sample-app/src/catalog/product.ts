export interface Product {
  sku: string;
  name: string;
  priceCents: number;
  stock: number;
}

/** One event of the stock stream (`GET /products/:sku/stock-events`). */
export interface StockUpdate {
  sku: string;
  stock: number;
  update: number;
}
